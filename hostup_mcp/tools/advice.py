"""Problems as text a model can relay: what happened, HostUp's own words, and the next step.

The next step follows from what was observed (hostup.failures): the HTTP status received, whether the
request was sent, whether it was the write or the check before it. Nothing in a body changes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hostup_mcp.hostup.failures import Acted, Failure, may_have_acted
from hostup_mcp.hostup.problems import API_KEYS_PAGE, Problem
from hostup_mcp.tools.text import MAX_DETAIL_CHARS, clean, extras, verbatim

MAX_FIELD_ERRORS = 10
FIND_VPS = "call list_vps to get valid VPS ids (with primary_ip=… when you only know the IP); never guess them"
CHECK_NETWORK = "try again in a minute; if it keeps failing, check the network and HOSTUP_BASE_URL."

SIGN_IN_AGAIN = (
    "sign in to this server again with it (disconnect and reconnect the connector in their app; the sign-in page "
    "takes the new key)."
)
SEND_OWN_KEY = (
    "send it from their MCP client as 'Authorization: Bearer <key>' (this shared server uses each user's own key "
    "and stores none)."
)

# Next steps for the problems hostup-mcp makes itself, by code.
LOCAL_NEXT_STEPS = {
    "invalid_vps_id": FIND_VPS + ".",
    "invalid_iso_id": "call list_vps_iso_media for this VPS and use an id from available[].id exactly.",
    "invalid_job_id": "pass operation.jobId or operation.pollUrl exactly as download_vps_iso returned it.",
    "invalid_ip": "pass the VPS's primary IP address exactly, e.g. 192.0.2.10, or omit primary_ip.",
    "invalid_url": "ask the user for a public http(s) URL of the ISO file that does not redirect.",
    "invalid_filename": "choose a plain file name such as ubuntu-24.04-live-server-amd64.iso and call again.",
    "invalid_arguments": "correct the arguments listed above (the tool's inputSchema says what each takes) and "
    "call again.",
    "unusable_answer": "ask the user in the chat whether to go ahead before calling again.",
    "busy": "try again in a few seconds.",
    "iso_not_found": "call list_vps_iso_media for this VPS and use an id from available[].id exactly.",
    "action_blocked": (
        "tell the user why HostUp blocks this right now (the reason above); it becomes possible once the cause "
        "is resolved, which list_vps_iso_media's actions gates will show."
    ),
    "timeout": CHECK_NETWORK,
    "connection_failed": CHECK_NETWORK,
    "connection_lost": CHECK_NETWORK,
    "certificate_not_trusted": "tell the user to set HOSTUP_CA_FILE to the CA certificate their network uses "
    "(the bundle's 'Extra CA certificate' setting), as the detail above says, and restart the client.",
    "redirect_not_followed": "check HOSTUP_BASE_URL; it should be https://cloud.hostup.se unless told otherwise.",
}


@dataclass(frozen=True, slots=True)
class Call:
    """What a tool call was doing, so an error can say what to do next. `action` names a write
    ("mount", "download", …) in the words the advice uses; None for a read."""

    scopes: tuple[str, ...]
    vps_id: str | None = None
    not_found: str = "no such VPS on this account: " + FIND_VPS + "."
    action: str | None = None
    idempotent: bool = True
    # Per-user mode: the key came with the user's own request, so the fix is in their client, not the server.
    key_from_request: bool = False
    # OAuth mode: the key came from the user's sign-in, so the fix is signing in again.
    key_from_sign_in: bool = False

    @property
    def key_fix(self) -> str:
        """How the user puts a new key to use, wherever this server takes keys from."""
        if self.key_from_sign_in:
            return SIGN_IN_AGAIN
        return SEND_OWN_KEY if self.key_from_request else "set it as HOSTUP_API_KEY."

    @property
    def scope_text(self) -> str:
        return " and ".join(self.scopes)


def render_problem(problem: Problem, call: Call, failure: Failure | None) -> str:
    """`failure` is what was observed; None when hostup-mcp refused before sending anything."""
    from_hostup = failure is not None and failure.from_hostup
    source = "HostUp error" if from_hostup else "Error (from hostup-mcp, not HostUp)"
    status = failure.status if failure is not None else None
    head = " ".join(part for part in (source, str(status or ""), clean(problem.code) if problem.code else "") if part)
    summary = ": ".join(clean(part, MAX_DETAIL_CHARS) for part in (problem.title, problem.detail) if part)
    lines = [f"{head} — {summary}" if summary else head]
    if problem.request_id:
        lines.append(f"requestId: {verbatim(problem.request_id)} (quote it to HostUp support)")
    lines += render_field_errors(problem.errors or [])
    if problem.model_extra:
        lines.append(f"other fields:{extras(problem)}")
    lines.append("Next step: " + next_step(problem, call, failure))
    return "\n".join(lines)


def render_field_errors(errors: Sequence[Any]) -> list[str]:
    shown = [
        f"- {clean(error.pointer)}: {clean(error.detail, MAX_DETAIL_CHARS)}"
        + (f" ({clean(error.code)})" if error.code else "")
        for error in errors[:MAX_FIELD_ERRORS]
    ]
    if len(errors) > MAX_FIELD_ERRORS:
        shown.append(f"- …and {len(errors) - MAX_FIELD_ERRORS} more field errors (all in _meta's problem)")
    return shown


def next_step(problem: Problem, call: Call, failure: Failure | None) -> str:
    if problem.code == "missing_api_key":
        return f"tell the user to create an API key with the {call.scope_text} scope at {API_KEYS_PAGE} and " + (
            call.key_fix
            if call.key_from_request or call.key_from_sign_in
            else "set it as HOSTUP_API_KEY in this server's configuration, then restart the client."
        )
    if failure is None:
        return local_next_step(problem)
    acted = may_have_acted(failure)
    if acted is Acted.YES:
        return (
            f"HostUp accepted the {call.action} (HTTP {failure.status}), but its answer could not be read. Do not "
            f"repeat it{'' if call.idempotent else ': a second call would start it again'}; check the outcome with "
            "list_vps_iso_media first."
        )
    if acted is Acted.UNKNOWN:
        support = support_hint(problem, failure)
        return (
            f"the outcome is unknown: HostUp may or may not have carried out the {call.action}, so it was not "
            f"repeated. Check with list_vps_iso_media before trying again{support}"
        )
    advice = status_next_step(problem, call, failure.status) or local_next_step(problem)
    if failure.phase == "precheck":
        return f"the {call.action} was not sent, because the check before it failed; {advice}"
    return advice


def status_next_step(problem: Problem, call: Call, status: int | None) -> str | None:
    """What an HTTP error status (as received) asks for; None when the status does not decide it."""
    if status is None or status < 400:
        return None
    if status == 401:
        return (
            "the API key is missing, invalid, expired or revoked. Tell the user to create a new key at "
            f"{API_KEYS_PAGE} with the {call.scope_text} scope and {call.key_fix}"
        )
    if status == 403:
        vps = call.vps_id or "the VPS"
        return (
            f"the API key lacks the {call.scope_text} scope, or {vps} is not on this key's account. Tell the user "
            f"to add {call.scope_text} to the key at {API_KEYS_PAGE}, or call list_vps to check the id."
        )
    if status == 404:
        return call.not_found
    if status == 429:
        if problem.retry_after_seconds is not None:
            return f"rate limited: wait {problem.retry_after_seconds} s, then call again."
        return "rate limited: wait a minute, then call again."
    if status >= 500:
        when = (
            f"HostUp asks to wait {problem.retry_after_seconds} s before retrying"
            if problem.retry_after_seconds is not None
            else "retry later"
        )
        return f"HostUp-side failure: {when}; if it persists, contact HostUp support{requested(problem)}."
    if status == 400:
        return "HostUp rejected the request as invalid; fix the fields listed above and call again."
    if status == 409:
        return "HostUp refused the action in the VPS's current state; tell the user the detail above."
    return "the request was not completed; read the detail above before trying again."


def support_hint(problem: Problem, failure: Failure) -> str:
    if failure.status is not None and failure.status >= 500:
        return f"; if it persists, contact HostUp support{requested(problem)}."
    return "."


def requested(problem: Problem) -> str:
    return f" quoting requestId {verbatim(problem.request_id)}" if problem.request_id else ""


def local_next_step(problem: Problem) -> str:
    return LOCAL_NEXT_STEPS.get(
        problem.code or "",
        "try again later; if it persists, HostUp's API may have changed: report it to the maintainers.",
    )
