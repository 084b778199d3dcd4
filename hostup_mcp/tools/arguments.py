"""Tool arguments: their types (which are also their inputSchema), and argument errors a model can act on.

Every argument is checked here, once, before a tool body runs and so before any request is sent. The
id formats and URL rules come from hostup.ids; the words around them name the tool that supplies a
valid value. A failed check becomes one explained problem instead of pydantic's dump.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, Strict, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from hostup_mcp.hostup import ids
from hostup_mcp.hostup.problems import Problem, synthesized
from hostup_mcp.tools.text import clean
from hostup_mcp.tools.tickets import TICKET_PATTERN

VALUE_CHARS = 60


def describe(value: object) -> str:
    """A caller's value as it was sent (JSON), cut short: enough to recognise, never a flood."""
    if isinstance(value, str) and not value.strip():
        return "an empty string" if not value else "only whitespace"
    shown = json.dumps(value, ensure_ascii=False)
    return clean(shown, VALUE_CHARS)


def refuse(code: str, message: str) -> PydanticCustomError:
    # The message is a finished sentence: braces in it must not be read as pydantic placeholders.
    return PydanticCustomError(code, message.replace("{", "{{").replace("}", "}}"))


def vps_id(value: str) -> str:
    if ids.is_vps_id(value):
        return value
    if ids.looks_like_ip(value):
        hint = f" It looks like an IP address: call list_vps with primary_ip={value.strip()} to get the VPS id."
    elif ids.looks_like_hostname(value):
        hint = " It looks like a hostname: call list_vps and pick the VPS by its name or primary IP."
    else:
        hint = ""
    raise refuse(
        "invalid_vps_id",
        f"{describe(value)} is not a public VPS id. Expected the form {ids.VPS_ID_EXAMPLE}: 'vps_' followed by "
        f"letters and digits, as list_vps lists them (data[].id).{hint} Never guess or construct the id.",
    )


def iso_id(value: str) -> str:
    if ids.is_iso_id(value):
        return value
    raise refuse(
        "invalid_iso_id",
        f"{describe(value)} is not an ISO id. Expected the form {ids.ISO_ID_EXAMPLE}, exactly as "
        "list_vps_iso_media lists it in available[].id.",
    )


def job_id(value: str) -> str:
    found = ids.job_id_from(value)
    if found is not None:
        return found
    raise refuse(
        "invalid_job_id",
        f"{describe(value)} is not a job id. Pass operation.jobId (e.g. {ids.JOB_ID_EXAMPLE}) or operation.pollUrl "
        "(/api/jobs/…) exactly as download_vps_iso returned it.",
    )


def primary_ip(value: str) -> str:
    problem = ids.ip_problem(value)
    if problem is None:
        return value
    raise refuse("invalid_ip", f"{describe(value)} {problem}; primary_ip must be the VPS's exact primary IP.")


def download_url(value: str) -> str:
    problem = ids.download_url_problem(value)
    if problem is None:
        return value
    raise refuse(
        "invalid_url",
        f"{describe(value)} {problem}. HostUp downloads the file itself from the public internet: the URL must be "
        f"http:// or https://, public, at most {ids.URL_MAX_LENGTH} characters, and must not redirect.",
    )


def filename(value: str) -> str:
    problem = ids.filename_problem(value)
    if problem is None:
        return value
    raise refuse(
        "invalid_filename",
        f"{describe(value)} cannot be a file name: it {problem}. Use a plain name such as "
        "ubuntu-24.04-live-server-amd64.iso.",
    )


def cursor(value: str) -> str:
    problem = ids.cursor_problem(value)
    if problem is None:
        return value
    raise refuse(
        "invalid_cursor",
        f"{describe(value)} {problem}. Pass nextCursor exactly as the previous list_vps result gave it, or leave "
        "cursor out for the first page.",
    )


def chat_confirmation(value: str) -> str:
    if TICKET_PATTERN.fullmatch(value):
        return value
    raise refuse(
        "invalid_chat_confirmation",
        f"{describe(value)} is not a chat confirmation. Pass chat_confirmation exactly as the delete_vps_iso result "
        "whose form went unanswered gave it, or leave it out.",
    )


def checked(check: Callable[[str], str], *, description: str = "") -> Any:
    """A string argument checked by `check`. Its form is told in words, never as `pattern` or `maxLength`:
    hosts that validate arguments themselves (Gemini CLI) would answer a pasted IP with "must match
    pattern" and the model would never read which tool gives the id."""
    return Annotated[str, AfterValidator(check), Field(description=description or None)]


VpsId = checked(
    vps_id,
    description=f"Public VPS id from list_vps (data[].id), e.g. {ids.VPS_ID_EXAMPLE}. Never an IP or hostname.",
)
IsoId = checked(iso_id)
JobReference = checked(job_id)
PrimaryIp = checked(primary_ip)
DownloadUrl = checked(download_url)
FileName = checked(filename)
# No length bound: the cursor is HostUp's, of HostUp's length, and must go back exactly as it came.
Cursor = checked(cursor)
ChatConfirmation = checked(chat_confirmation)


def portable(schema: dict[str, Any]) -> dict[str, Any]:
    """The inputSchema in the one form that every converter measured here keeps whole (docs/tools.md):
    an optional argument is `anyOf: [{type, description, …}, {type: null}]` with its description inside
    the value's branch (google-genai keeps only that one; OpenAI's strict mode needs the null to keep it
    optional; Anthropic's keeps both), no `default: null`, and no pydantic titles."""
    properties = {name: portable_property(prop) for name, prop in schema.get("properties", {}).items()}
    return {key: value for key, value in schema.items() if key != "title"} | {"properties": properties}


def portable_property(prop: dict[str, Any]) -> dict[str, Any]:
    prop = {key: value for key, value in prop.items() if key != "title"}
    branches = prop.get("anyOf")
    if not isinstance(branches, list) or {"type": "null"} not in branches:
        return prop
    description = prop.pop("description", None)
    if prop.get("default", ...) is None:
        del prop["default"]
    values = [branch for branch in branches if branch != {"type": "null"}]
    described = [{**branch, "description": description} if description else branch for branch in values]
    return prop | {"anyOf": [*described, {"type": "null"}]}


Device = Literal["ide0", "ide1", "ide2", "ide3"]
Decompress = Literal["none", "gzip", "lzo", "zstd", "bzip2"]
# Only the JSON value true may delete: no "yes", "true", 1 or "on".
StrictTrue = Annotated[bool, Strict()]

# What each kind of failed check means, in words; pydantic's message is the fallback.
EXPECTED = {
    "missing": "is required",
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be the JSON boolean true or false (not a string or number)",
    "bool_parsing": "must be the JSON boolean true or false (not a string or number)",
}
BOUNDS = {
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "greater_than": "must be more than {gt}",
    "less_than": "must be less than {lt}",
    "string_too_long": "must be at most {max_length} characters long",
    "string_too_short": "must be at least {min_length} characters long",
    "literal_error": "must be {expected}",
}


def explain(tool: str, error: ValidationError, arguments: Mapping[str, Any], accepted: Iterable[str]) -> Problem:
    """One problem for every argument that failed, each as a field error (pointer, detail, code)."""
    details = error.errors(include_url=False)
    field_errors = [field_error(detail) for detail in details]
    unknown = sorted(set(arguments) - set(accepted))
    if unknown:
        field_errors.append(
            {
                "pointer": "/" + clean(unknown[0], VALUE_CHARS),
                "detail": f"{tool} takes no argument named {', '.join(clean(name, VALUE_CHARS) for name in unknown)}; "
                f"it takes: {', '.join(accepted)}",
                "code": "unknown_argument",
            }
        )
    # One of our own checks alone keeps its code, so the next step can be specific (e.g. "call list_vps").
    own_code = details[0]["type"] if len(details) == 1 and details[0]["type"].startswith("invalid_") else None
    return synthesized(
        own_code or "invalid_arguments",
        f"Invalid arguments for {tool}",
        "Nothing was sent to HostUp.",
        errors=field_errors,
    )


def field_error(detail: ErrorDetails) -> dict[str, str]:
    name = ".".join(str(part) for part in detail["loc"]) or "(arguments)"
    kind = detail["type"]
    if kind.startswith("invalid_"):  # one of ours above: already a whole sentence
        return {"pointer": f"/{name}", "detail": detail["msg"], "code": kind}
    context = detail.get("ctx") or {}
    expected = EXPECTED.get(kind) or (BOUNDS[kind].format(**context) if kind in BOUNDS else detail["msg"])
    got = "" if kind == "missing" else f", got {describe(detail['input'])}"
    return {"pointer": f"/{name}", "detail": f"{expected}{got}", "code": kind}
