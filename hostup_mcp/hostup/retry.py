"""When to try a safe request again, and how long to wait first."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter, honouring short Retry-After waits.

    A Retry-After longer than `max_retry_after` is not slept through: the caller gets the problem at
    once, with the seconds to wait, because an assistant waiting silently for a minute helps nobody.
    """

    max_attempts: int = 3
    base_backoff: float = 0.25
    max_backoff: float = 2.0
    max_retry_after: float = 3.0

    def wait_before_retry(
        self, attempt: int, status: int | None, retry_after: int | None, rng: random.Random
    ) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None to give up with the current outcome.

        `status` is None for a connection failure (the request never got an answer).
        """
        if attempt >= self.max_attempts:
            return None
        if status is not None and status not in RETRYABLE_STATUSES and not (status == 500 and attempt == 1):
            return None
        if retry_after is not None:
            return float(retry_after) if retry_after <= self.max_retry_after else None
        ceiling = min(self.max_backoff, self.base_backoff * 2 ** (attempt - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


def parse_retry_after(value: str | None, now: datetime | None = None) -> int | None:
    """Retry-After as whole seconds (delta-seconds or an HTTP date); None when absent or unusable."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit() alone also accepts "²", which int() refuses
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, math.ceil((when - (now or datetime.now(UTC))).total_seconds()))
