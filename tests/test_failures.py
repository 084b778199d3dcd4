"""The failure table: from what was observed (status, sent, method, phase) to whether the request is sent
again, whether HostUp may have acted, and the next step. The README's table is this one."""

from __future__ import annotations

import random

import pytest

from hostup_mcp.hostup.failures import Acted, Failure, may_have_acted, retry_safe
from hostup_mcp.hostup.problems import Problem, synthesized
from hostup_mcp.hostup.retry import RetryPolicy
from hostup_mcp.tools.advice import Call, next_step

MOUNT = Call(("write:vm", "write:storage"), vps_id="vps_1", action="mount")
DOWNLOAD = Call(("write:vm", "write:storage"), vps_id="vps_1", action="download", idempotent=False)
READ = Call(("read:vm",), vps_id="vps_1")

NO_ANSWER = synthesized("timeout", "HostUp did not answer in time", "…")
NO_CONNECTION = synthesized("connection_failed", "Could not reach HostUp", "…")
UNREADABLE = synthesized("unexpected_response_shape", "HostUp's response does not match", "…", status=200)

# status, sent, method, phase, problem -> retried?, may have acted?, the next step says
TABLE = [
    (None, False, "GET", "call", NO_CONNECTION, True, Acted.NO, "try again in a minute"),
    (None, False, "POST", "call", NO_CONNECTION, True, Acted.NO, "try again in a minute"),
    (None, True, "GET", "call", NO_ANSWER, True, Acted.NO, "try again in a minute"),
    (None, True, "POST", "call", NO_ANSWER, False, Acted.UNKNOWN, "the outcome is unknown"),
    (None, True, "GET", "precheck", NO_ANSWER, True, Acted.NO, "the mount was not sent"),
    (200, True, "GET", "call", UNREADABLE, False, Acted.NO, "HostUp's API may have changed"),
    (200, True, "POST", "call", UNREADABLE, False, Acted.YES, "HostUp accepted the mount (HTTP 200)"),
    (202, True, "POST", "call", UNREADABLE, False, Acted.YES, "Do not repeat it; check the outcome"),
    (302, True, "GET", "call", synthesized("redirect_not_followed", "", ""), False, Acted.NO, "HOSTUP_BASE_URL"),
    (302, True, "POST", "call", synthesized("redirect_not_followed", "", ""), False, Acted.UNKNOWN, "unknown"),
    (400, True, "POST", "call", Problem(code="invalid_request"), False, Acted.NO, "fix the fields listed above"),
    (401, True, "GET", "call", Problem(code="unauthorized"), False, Acted.NO, "invalid, expired or revoked"),
    (403, True, "DELETE", "call", Problem(code="forbidden"), False, Acted.NO, "lacks the write:vm and write:storage"),
    (404, True, "GET", "precheck", Problem(code="not_found"), False, Acted.NO, "the mount was not sent"),
    (409, True, "POST", "call", Problem(code="conflict"), False, Acted.NO, "refused the action"),
    (429, True, "GET", "call", Problem(code="rate_limit_exceeded"), True, Acted.NO, "rate limited: wait"),
    (429, True, "POST", "call", Problem(code="rate_limit_exceeded"), True, Acted.NO, "rate limited: wait"),
    (500, True, "GET", "call", Problem(code="internal_error"), True, Acted.NO, "HostUp-side failure: retry later"),
    (500, True, "POST", "call", Problem(code="internal_error"), False, Acted.UNKNOWN, "the outcome is unknown"),
    (503, True, "GET", "call", Problem(code="unavailable"), True, Acted.NO, "HostUp-side failure"),
    (503, True, "DELETE", "call", Problem(code="unavailable"), False, Acted.UNKNOWN, "the outcome is unknown"),
    (503, True, "GET", "precheck", Problem(code="unavailable"), True, Acted.NO, "was not sent, because the check"),
]


@pytest.mark.parametrize(("status", "sent", "method", "phase", "problem", "retried", "acted", "says"), TABLE)
def test_the_failure_table(status, sent, method, phase, problem, retried, acted, says):
    failure = Failure(problem, method, status, sent=sent, from_hostup=False, phase=phase)
    policy_allows = RetryPolicy().wait_before_retry(1, status, None, random.Random(0)) is not None

    assert (retry_safe(failure) and policy_allows) is retried
    assert may_have_acted(failure) is acted
    assert says in next_step(problem, READ if method == "GET" and phase == "call" else MOUNT, failure)


def test_an_unreadable_answer_to_a_download_warns_that_it_is_not_idempotent():
    failure = Failure(UNREADABLE, "POST", 202, sent=True, from_hostup=False)

    assert "a second call would start it again" in next_step(UNREADABLE, DOWNLOAD, failure)


def test_a_body_cannot_make_a_write_retryable():
    # HostUp's body may say anything; only the status received counts.
    says_429 = Problem(status=429, code="rate_limit_exceeded")
    failure = Failure(says_429, "POST", 500, sent=True, from_hostup=True)

    assert retry_safe(failure) is False
    assert may_have_acted(failure) is Acted.UNKNOWN
