"""When to try a safe request again, and how long to wait first."""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import anyio

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
MAX_DELTA_DIGITS = 9  # ~31 years; longer is not a wait anyone means (and int() refuses 4,300+ digits)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter, honouring short waits HostUp asks for.

    A wait longer than `max_retry_after` is not slept through: the caller gets the problem at once,
    with the seconds to wait, because an assistant waiting silently for a minute helps nobody. A 429
    that names no wait backs off from `rate_limit_backoff`, longer than for a failure, since asking
    again at once is what a rate limit forbids. `sleep` is how waits are taken (tests pass their own).
    """

    max_attempts: int = 3
    base_backoff: float = 0.25
    max_backoff: float = 2.0
    rate_limit_backoff: float = 1.0
    max_retry_after: float = 3.0
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep

    def wait_before_retry(
        self, attempt: int, status: int | None, retry_after: int | None, rng: random.Random
    ) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None to give up with the current outcome.

        `status` is None for a connection failure (the request never got an answer); `retry_after` is
        the wait HostUp asked for, from Retry-After or X-RateLimit-Reset.
        """
        if attempt >= self.max_attempts:
            return None
        if status is not None and status not in RETRYABLE_STATUSES and not (status == 500 and attempt == 1):
            return None
        if retry_after is not None:
            return float(retry_after) if retry_after <= self.max_retry_after else None
        if status == 429:
            floor = self.rate_limit_backoff * 2.0 ** (attempt - 1)
            return floor + rng.uniform(0, floor)
        ceiling = min(self.max_backoff, self.base_backoff * 2.0 ** (attempt - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


def parse_retry_after(value: str | None, now: datetime | None = None) -> int | None:
    """Retry-After as whole seconds (delta-seconds or an HTTP date); None when absent or unusable."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit() alone also accepts "²", which int() refuses
        return int(value) if len(value) <= MAX_DELTA_DIGITS else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return seconds_until(when, now)


def parse_rate_limit_reset(value: str | None, now: datetime | None = None) -> int | None:
    """HostUp's X-RateLimit-Reset, "ISO timestamp when the active window resets", as seconds from now."""
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return seconds_until(when, now)


def seconds_until(when: datetime, now: datetime | None) -> int:
    if when.tzinfo is None:  # an HTTP date or timestamp without a zone is UTC
        when = when.replace(tzinfo=UTC)
    return max(0, math.ceil((when - (now or datetime.now(UTC))).total_seconds()))
