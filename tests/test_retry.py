from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from hostup_mcp.hostup.retry import RetryPolicy, parse_retry_after

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
