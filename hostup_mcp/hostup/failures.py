"""What the client observed when a HostUp call failed, and what follows from it.

Retry safety, whether HostUp may have acted, and where a problem came from are decided here, as pure
functions of facts the client saw itself (the HTTP status received, whether the request was sent, the
method, the phase). Nothing in a response body can change them: a body is HostUp's words, not a fact
about the exchange.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Literal

from hostup_mcp.hostup.problems import Problem

Phase = Literal["call", "precheck"]  # "precheck": the read a tool makes before a write, never the write


class Acted(Enum):
    NO = "no"
    YES = "yes"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed HostUp call, as observed.

    `problem` is the payload: HostUp's problem document as sent (`from_hostup`), or one we made for a
    failure HostUp never described (no answer, an unreadable body). `status` is the HTTP status
    received, None when no response arrived. `sent` is False only when the request cannot have reached
    HostUp (no connection was made, or it was refused before sending).
    """

    problem: Problem
    method: str
    status: int | None
    sent: bool
    from_hostup: bool
    retry_after: int | None = None
    phase: Phase = "call"

    def as_precheck(self) -> Failure:
        return replace(self, phase="precheck")


class HostUpError(Exception):
    """An anticipated failure of a HostUp call; the tool layer words it for the model."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(f"{failure.method} failed: {failure.status or failure.problem.code}")
        self.failure = failure

    @property
    def problem(self) -> Problem:
        return self.failure.problem


def not_sent(problem: Problem, method: str) -> HostUpError:
    """A failure before anything went out (no key, no connection)."""
    return HostUpError(Failure(problem, method, status=None, sent=False, from_hostup=False))


def is_write(method: str) -> bool:
    return method != "GET"


def retry_safe(failure: Failure) -> bool:
    """Whether sending the same request again cannot do anything twice.

    A GET is always safe. A write is safe only when HostUp cannot have acted on it: it was never sent,
    or HostUp answered 429, which rejects a request before processing it ("Retry after the limit
    resets"). Whether a retry is *useful* is RetryPolicy's question.
    """
    return not is_write(failure.method) or not failure.sent or failure.status == 429


def may_have_acted(failure: Failure) -> Acted:
    """Whether HostUp may have carried out what was asked, from what was observed."""
    if not is_write(failure.method) or failure.phase == "precheck" or not failure.sent:
        return Acted.NO
    status = failure.status
    if status is None:  # sent, but no complete answer: a timeout, or a connection that broke
        return Acted.UNKNOWN
    if 200 <= status < 300:  # HostUp accepted it; only its answer could not be read
        return Acted.YES
    if status == 429 or 400 <= status < 500:
        return Acted.NO
    return Acted.UNKNOWN  # 5xx, or a redirect instead of an answer
