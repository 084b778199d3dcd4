from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from hostup_mcp.hostup.retry import RetryPolicy, parse_rate_limit_reset, parse_retry_after

POLICY = RetryPolicy()
RNG = random.Random(7)


@pytest.mark.parametrize("status", [429, 502, 503, 504, None])
def test_transient_failures_are_retried_until_the_attempts_run_out(status: int | None):
    assert POLICY.wait_before_retry(1, status, None, RNG) is not None
    assert POLICY.wait_before_retry(2, status, None, RNG) is not None
    assert POLICY.wait_before_retry(3, status, None, RNG) is None


def test_500_is_retried_once():
    assert POLICY.wait_before_retry(1, 500, None, RNG) is not None
    assert POLICY.wait_before_retry(2, 500, None, RNG) is None


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 501])
def test_other_statuses_are_not_retried(status: int):
    assert POLICY.wait_before_retry(1, status, None, RNG) is None


def test_backoff_grows_with_jitter_and_stays_bounded():
    first = [POLICY.wait_before_retry(1, 503, None, RNG) for _ in range(200)]
    second = [POLICY.wait_before_retry(2, 503, None, RNG) for _ in range(200)]

    assert all(0.125 <= wait <= 0.25 for wait in first)
    assert all(0.25 <= wait <= 0.5 for wait in second)
    assert len(set(first)) > 100  # jitter spreads simultaneous clients apart


def test_a_short_retry_after_is_honoured_exactly():
    assert POLICY.wait_before_retry(1, 429, 2, RNG) == 2.0
    assert POLICY.wait_before_retry(1, 429, 0, RNG) == 0.0


def test_a_long_retry_after_is_returned_to_the_caller_instead_of_slept():
    assert POLICY.wait_before_retry(1, 429, 4, RNG) is None
    assert POLICY.wait_before_retry(1, 503, 120, RNG) is None


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("30", 30),
        (" 5 ", 5),
        ("0", 0),
        ("Thu, 26 Nov 2026 12:00:10 GMT", 10),
        ("Thu, 26 Nov 2026 11:59:00 GMT", 0),
        (None, None),
        ("", None),
        ("-5", None),
        ("soon", None),
        ("1.5", None),
        ("²", None),  # a Unicode digit: found by the hypothesis suite, once a crash
        ("٣", None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(header: str | None, seconds: int | None):
    now = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)

    assert parse_retry_after(header, now=now) == seconds


class Extreme(random.Random):
    """Jitter at the top of its range."""

    def uniform(self, a: float, b: float) -> float:
        return b


@pytest.mark.parametrize(
    ("attempt", "status", "expected"), [(1, 503, 0.25), (2, 503, 0.5), (1, 429, 2.0), (2, 429, 4.0)]
)
def test_the_jitter_reaches_exactly_the_top_of_its_range(attempt: int, status: int, expected: float):
    assert POLICY.wait_before_retry(attempt, status, None, Extreme()) == expected


@pytest.mark.parametrize(("value", "seconds"), [("9" * 9, 999_999_999), ("1" + "0" * 9, None)])
def test_retry_after_takes_up_to_nine_digits(value: str, seconds: int | None):
    assert parse_retry_after(value) == seconds


NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2026-01-01T00:00:10+00:00", 10),
        ("2026-01-01T00:00:10Z", 10),
        ("2026-01-01T00:00:10", 10),  # no zone: UTC
        ("2026-01-01T01:00:10+01:00", 10),
        ("2025-12-31T23:59:00Z", 0),  # already past
        ("next tuesday", None),
        (None, None),
    ],
)
def test_x_ratelimit_reset_is_read_as_an_iso_timestamp(value: str | None, seconds: int | None):
    assert parse_rate_limit_reset(value, now=NOW) == seconds


def test_an_http_date_without_a_zone_is_utc():
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:30", now=NOW) == 30
