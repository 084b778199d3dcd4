"""RFC 7807 problem documents: HostUp's own, and the ones we synthesize for failures it never saw;
and reading HostUp's JSON safely enough to pass it on."""

from __future__ import annotations

import html
import json
import math
import re
import socket
import ssl
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

API_KEYS_PAGE = "https://cloud.hostup.se/api-management"
EXCERPT_CHARS = 160
MAX_JSON_DEPTH = 32
PROBLEM_FIELDS = frozenset({"type", "title", "status", "detail", "code", "instance", "requestId"})
# A UTF-16 surrogate left alone in a JSON string (a "\ud800" escape, or CESU bytes that json decodes with
# surrogatepass): no UTF-8 encoder, ours included, can send it on.
SURROGATE_IN_JSON = re.compile(rb"\\[uU][dD][89a-fA-F]|\xed[\xa0-\xbf]")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


class FieldError(BaseModel):
    model_config = ConfigDict(extra="allow")

    pointer: str | None = None
    detail: str | None = None
    code: str | None = None


class Problem(BaseModel):
    """A problem as HostUp sent it, plus `retryAfterSeconds` when a usable Retry-After came with it.

    `status` is the HTTP status that was received; when HostUp's body named another one, that is kept
    as `bodyStatus`. Problems hostup-mcp makes itself have a `type` of `urn:hostup-mcp:<code>`.
    """

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, serialize_by_alias=True, extra="allow")

    type: str | None = None
    title: str | None = None
    status: int | None = None
    detail: str | None = None
    code: str | None = None
    instance: str | None = None
    request_id: str | None = None
    timestamp: str | None = None
    errors: list[FieldError] | None = None
    retry_after_seconds: int | None = Field(default=None, description="Seconds HostUp asked us to wait.")

    def to_structured(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def synthesized(code: str, title: str, detail: str, status: int | None = None, **extensions: Any) -> Problem:
    """A problem of our own; `extensions` become extra members of the document (RFC 7807 §3.2)."""
    return Problem(type=f"urn:hostup-mcp:{code}", code=code, title=title, detail=detail, status=status, **extensions)


def missing_api_key() -> Problem:
    return synthesized(
        "missing_api_key",
        "No HostUp API key configured",
        f"HOSTUP_API_KEY is not set, so no request was sent. Create a key with the read:vm scope at "
        f"{API_KEYS_PAGE} and pass it to this server as HOSTUP_API_KEY.",
    )


def parse_error_body(response: httpx.Response, body: bytes, retry_after: int | None) -> Problem | None:
    """HostUp's problem document in a non-2xx response, with the observed status; None if it is not one."""
    problem = parse_problem(body, response.headers.get("content-type", ""))
    if problem is None:
        return None
    observed: dict[str, Any] = {"status": response.status_code, "retry_after_seconds": retry_after}
    if problem.status not in (None, response.status_code):
        observed["bodyStatus"] = problem.status  # an extension member: what the body claimed
    return problem.model_copy(update=observed)


def not_a_problem(response: httpx.Response, body: bytes) -> Problem:
    return synthesized(
        "invalid_error_body",
        "HostUp answered with an error that is not a problem document",
        f"HTTP {response.status_code} {response.reason_phrase}; the body was not a problem document: "
        f"{excerpt(body, response.headers.get('content-type', ''))}",
        status=response.status_code,
    )


def load_json(body: bytes) -> Any:
    """Parse a body as JSON that can be passed on safely; ValueError for anything else.

    Python's json module accepts NaN, Infinity and 1e400, which no JSON client can read back, and
    nesting deep enough to exhaust the recursion limit of the parser or of pydantic's serializer.
    The documented responses are four levels deep; anything past MAX_JSON_DEPTH is refused. A lone
    UTF-16 surrogate (what a JavaScript backend leaves when it cuts an emoji in half) cannot be sent
    on as UTF-8 and would stop the stdio writer; it becomes U+FFFD.
    """
    try:
        document = json.loads(body, parse_constant=reject_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    check_tree(document)
    if SURROGATE_IN_JSON.search(body):
        document = without_lone_surrogates(document)
    return document


def reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def check_tree(document: Any) -> None:
    """One pass over the parsed document: nesting depth, and numbers that overflowed to infinity."""
    if isinstance(document, float) and not math.isfinite(document):
        raise ValueError("a number is out of range")
    stack: list[tuple[Any, int]] = [(document, 1)] if isinstance(document, dict | list) else []
    while stack:
        container, level = stack.pop()
        if level > MAX_JSON_DEPTH:
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        for child in container.values() if isinstance(container, dict) else container:
            if isinstance(child, dict | list):
                stack.append((child, level + 1))
            elif isinstance(child, float) and not math.isfinite(child):
                raise ValueError("a number is out of range")


def without_lone_surrogates(document: Any) -> Any:
    """The document with every lone surrogate, in keys and values, replaced by U+FFFD."""
    if isinstance(document, str):
        return LONE_SURROGATE.sub(REPLACEMENT, document)
    if isinstance(document, dict):
        return {without_lone_surrogates(key): without_lone_surrogates(value) for key, value in document.items()}
    if isinstance(document, list):
        return [without_lone_surrogates(item) for item in document]
    return document


def parse_problem(body: bytes, content_type: str) -> Problem | None:
    if not is_json_content_type(content_type) and content_type:
        return None
    try:
        document = load_json(body)
    except ValueError:
        return None
    if not isinstance(document, dict) or not PROBLEM_FIELDS & document.keys():
        return None
    try:
        return Problem.model_validate(from_legacy_envelope(document))
    except ValidationError:
        return None


def from_legacy_envelope(document: dict[str, Any]) -> dict[str, Any]:
    """Legacy /api/... routes (the jobs route) answer `{error, message, code, requestId, timestamp}`;
    read `error` as the title and `message` as the detail so the problem reads the same either way."""
    if "detail" in document or "message" not in document:
        return document
    legacy = {key: value for key, value in document.items() if key not in ("error", "message")}
    return {"title": document.get("error"), "detail": document["message"], **legacy}


def is_json_content_type(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def invalid_body(status: int, body: bytes, content_type: str, why: str) -> Problem:
    return synthesized(
        "invalid_response_body",
        "HostUp's response could not be read",
        f"HTTP {status}: {why}: {excerpt(body, content_type)}",
        status=status,
    )


def unexpected_shape(status: int, document: Any, error: ValidationError) -> Problem:
    """A 2xx body that is JSON but not the documented shape; HostUp's body is kept as `response`."""
    issues = "; ".join(
        f"{'.'.join(str(part) for part in issue['loc']) or '(root)'}: {issue['msg']}"
        for issue in error.errors(include_url=False, include_input=False)[:5]
    )
    more = error.error_count() - 5
    return synthesized(
        "unexpected_response_shape",
        "HostUp's response does not match the documented shape",
        f"HTTP {status} body differs from the API reference: {issues}" + (f" (and {more} more)" if more > 0 else ""),
        status=status,
        response=document,
    )


def redirected(response: httpx.Response) -> Problem:
    target = httpx.URL(response.headers.get("location", ""))
    where = f" to {target.host}" if target.host else ""
    return synthesized(
        "redirect_not_followed",
        "HostUp answered with a redirect",
        f"HTTP {response.status_code} redirect{where} was not followed, so the API key is never sent to "
        "another address. Check HOSTUP_BASE_URL (default https://cloud.hostup.se).",
        status=response.status_code,
    )


def too_large(limit_bytes: int, status: int) -> Problem:
    return synthesized(
        "response_too_large",
        "HostUp's response is too large",
        f"The response body exceeded {limit_bytes // 1024} KiB (after decompression) and was not read.",
        status=status,
    )


def timed_out(seconds: float) -> Problem:
    return synthesized(
        "timeout",
        "HostUp did not answer in time",
        f"No complete response from HostUp within the {seconds:g} s this call may take (HOSTUP_TIMEOUT).",
    )


def undecodable(status: int, why: str) -> Problem:
    return synthesized(
        "invalid_response_body",
        "HostUp's response could not be read",
        f"HTTP {status}: the response body could not be decoded ({why}).",
        status=status,
    )


# Failures that the same request meets again at once: retrying only spends the call's budget.
PERMANENT = frozenset({"certificate_not_trusted"})


def connection_failed(error: httpx.RequestError, base_url: str) -> Problem:
    """No connection could be made, so the request never reached HostUp."""
    if isinstance(certificate_error(error), ssl.SSLCertVerificationError):
        return synthesized(
            "certificate_not_trusted",
            "HostUp's TLS certificate could not be verified",
            f"Certificate verification failed connecting to {base_url} ({certificate_error(error)}). The "
            "server trusts what the operating system trusts; behind a TLS-inspecting proxy or with a private CA "
            "that the system does not hold, name the CA's PEM file in HOSTUP_CA_FILE=/path/to/ca.pem "
            "(or SSL_CERT_FILE).",
        )
    return synthesized(
        "connection_failed",
        "Could not reach HostUp",
        f"{why_not_connected(error)} connecting to {base_url}: the network or HostUp may be down, or "
        "HOSTUP_BASE_URL may be wrong.",
    )


def why_not_connected(error: BaseException) -> str:
    """The operating system's reason behind an httpx connection error, in words: a name that does not
    resolve, a refused connection, a TLS handshake that failed, or whatever the OS said."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return f"the name could not be resolved ({seen.strerror or seen})"
        if isinstance(seen, ConnectionRefusedError):
            return "the connection was refused"
        if isinstance(seen, ssl.SSLError):
            return f"the TLS handshake failed ({getattr(seen, 'reason', None) or seen})"
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror
        seen = seen.__cause__ or seen.__context__
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def certificate_error(error: BaseException) -> BaseException | None:
    """The ssl error behind an httpx error, if there is one."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def connection_lost(error: httpx.RequestError, base_url: str) -> Problem:
    """The connection broke after the request was sent; HostUp may have acted on it."""
    return synthesized(
        "connection_lost",
        "The connection to HostUp broke",
        f"{type(error).__name__} talking to {base_url}: the connection broke before a complete answer arrived.",
    )


def excerpt(body: bytes, content_type: str) -> str:
    """A short, single-line taste of a body: an HTML page's title or text, never the whole page."""
    text = body.decode("utf-8", errors="replace")
    if "html" in content_type.lower() or re.match(r"\s*<", text):
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        text = title.group(1) if title else re.sub(r"<[^>]*>", " ", text)
        text = html.unescape(text)
    text = " ".join(text.split())
    if not text:
        return "(empty body)"
    return repr(text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…")
