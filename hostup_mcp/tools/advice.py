"""Problems as text a model can relay: what happened, HostUp's own words, and the next step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hostup_mcp.hostup.problems import API_KEYS_PAGE, Problem
from hostup_mcp.tools.text import MAX_DETAIL_CHARS, clean, extras

MAX_FIELD_ERRORS = 10
FIND_VPS = "call list_vps to get valid VPS ids (with primary_ip=… when you only know the IP); never guess them"

# Next steps for the problems hostup-mcp makes itself, by code.
LOCAL_NEXT_STEPS = {
    "invalid_vps_id": FIND_VPS + ".",
    "invalid_iso_id": "call list_vps_iso_media for this VPS and use an id from available[].id exactly.",
    "invalid_job_id": "pass operation.jobId or operation.pollUrl exactly as download_vps_iso returned it.",
    "invalid_ip": "pass the VPS's primary IP address exactly, e.g. 192.0.2.10, or omit primary_ip.",
    "invalid_url": "ask the user for a public http(s) URL of the ISO file that does not redirect.",
    "invalid_arguments": "correct the arguments listed above (the tool's inputSchema says what each takes) and "
    "call again.",
    "unusable_answer": "ask the user in the chat whether to go ahead before calling again.",
    "invalid_filename": "choose a plain file name such as ubuntu-24.04-live-server-amd64.iso and call again.",
    "iso_not_found": "call list_vps_iso_media for this VPS and use an id from available[].id exactly.",
    "action_blocked": (
        "tell the user why HostUp blocks this right now (the reason above); it becomes possible once the cause "
        "is resolved, which list_vps_iso_media's actions gates will show."
    ),
    "not_confirmed": "nothing was deleted. Only call again with confirm=true if the user clearly asks for it.",
    "timeout": "try again in a minute; if it keeps failing, check the network and HOSTUP_BASE_URL.",
    "connection_failed": "try again in a minute; if it keeps failing, check the network and HOSTUP_BASE_URL.",
    "connection_lost": "try again in a minute; if it keeps failing, check the network and HOSTUP_BASE_URL.",
    "redirect_not_followed": "check HOSTUP_BASE_URL; it should be https://cloud.hostup.se unless told otherwise.",
}


@dataclass(frozen=True, slots=True)
class Call:
    """What a tool call was doing, so an error can say what to do next."""

    scopes: tuple[str, ...]
    vps_id: str | None = None
    not_found: str = "no such VPS on this account: " + FIND_VPS + "."
    may_have_happened: bool = False  # a write whose outcome is unknown (timeout, reset after sending)

    @property
    def scope_text(self) -> str:
        return " and ".join(self.scopes)


def render_problem(problem: Problem, call: Call) -> str:
    source = "HostUp error" if problem.from_hostup else "Error (from hostup-mcp, not HostUp)"
    status = str(problem.status) if problem.status is not None else ""
    head = " ".join(part for part in (source, status, clean(problem.code) if problem.code else "") if part)
    summary = ": ".join(clean(part, MAX_DETAIL_CHARS) for part in (problem.title, problem.detail) if part)
    lines = [f"{head} — {summary}" if summary else head]
    if problem.request_id:
        lines.append(f"requestId: {clean(problem.request_id)} (quote it to HostUp support)")
    lines += render_field_errors(problem.errors or [])
    if problem.model_extra:
        lines.append(f"other fields:{extras(problem)}")
    lines.append("Next step: " + next_step(problem, call))
    return "\n".join(lines)


def render_field_errors(errors: Sequence[Any]) -> list[str]:
    shown = [
        f"- {clean(error.pointer)}: {clean(error.detail, MAX_DETAIL_CHARS)}"
        + (f" ({clean(error.code)})" if error.code else "")
        for error in errors[:MAX_FIELD_ERRORS]
    ]
    if len(errors) > MAX_FIELD_ERRORS:
        shown.append(f"- …and {len(errors) - MAX_FIELD_ERRORS} more field errors (all in the structured content)")
    return shown


def next_step(problem: Problem, call: Call) -> str:
    if not problem.from_hostup:
        return local_next_step(problem, call)
    status = problem.status or 0
    if status == 401:
        return (
            "the API key is missing, invalid, expired or revoked. Tell the user to create a new key at "
            f"{API_KEYS_PAGE} with the {call.scope_text} scope and set it as HOSTUP_API_KEY."
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
        return f"HostUp-side failure: {when}; if it persists, contact HostUp support" + (
            f" quoting requestId {clean(problem.request_id)}." if problem.request_id else "."
        )
    if status == 400:
        return "HostUp rejected the request as invalid; fix the fields listed above and call again."
    if status == 409:
        return "HostUp refused the action in the VPS's current state; tell the user the detail above."
    return "the request was not completed; read the detail above before trying again."


def local_next_step(problem: Problem, call: Call) -> str:
    if problem.code == "missing_api_key":
        return (
            f"tell the user to create an API key with the {call.scope_text} scope at {API_KEYS_PAGE} and set it "
            "as HOSTUP_API_KEY in this server's configuration, then restart the client."
        )
    if call.may_have_happened and problem.code in ("timeout", "connection_lost"):
        return (
            "HostUp may or may not have carried this out (the answer was lost), so it was not repeated. Check with "
            "list_vps_iso_media before trying again."
        )
    return LOCAL_NEXT_STEPS.get(
        problem.code or "",
        "try again later; if it persists, HostUp's API may have changed: report it to the maintainers.",
    )
