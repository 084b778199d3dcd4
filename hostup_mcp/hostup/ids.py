"""Ids and other caller-supplied values, checked before they become part of a request."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from hostup_mcp.hostup.problems import HostUpError, synthesized

VPS_ID_PATTERN = r"^vps_[A-Za-z0-9]{1,64}$"
ISO_ID_PATTERN = r"^iso_[A-Za-z0-9]{1,64}$"
# job_… ids, and the legacy ids the jobs route also serves (e.g. start-17122-1768986364277).
JOB_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"
ID_MAX_LENGTH = 68
VPS_ID_EXAMPLE = "vps_01hxa3b4c5d6e7f8g9h0j1k2m3"
ISO_ID_EXAMPLE = "iso_01hxa3b4c5d6e7f8g9h0j1k2m3"
JOB_POLL_PREFIX = "/api/jobs/"
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}\.?$")


def invalid(code: str, title: str, detail: str) -> HostUpError:
    return HostUpError(synthesized(code, title, detail))


def check_vps_id(value: str) -> str:
    """Return `value` if it is a well-formed public VPS id, else raise HostUpError(invalid_vps_id).

    Only ASCII letters and digits follow the prefix, so nothing the caller passes can add a path
    segment, a query, a fragment or a header to the request.
    """
    if re.fullmatch(VPS_ID_PATTERN, value):
        return value
    raise invalid(
        "invalid_vps_id",
        "Not a HostUp VPS id",
        f"{describe(value)} is not a public VPS id. Expected the form {VPS_ID_EXAMPLE}: 'vps_' followed by letters "
        f"and digits, as listed by the list_vps tool (HostUp's GET /api/v2/vps data[].id).{vps_hint(value)} "
        "Never guess or construct the id.",
    )


def check_iso_id(value: str, field: str) -> str:
    if re.fullmatch(ISO_ID_PATTERN, value):
        return value
    raise invalid(
        "invalid_iso_id",
        "Not a HostUp ISO id",
        f"{describe(value)} is not an ISO id for {field}. Expected the form {ISO_ID_EXAMPLE}, exactly as listed in "
        "available[].id by the list_vps_iso_media tool.",
    )


def check_job_id(value: str) -> str:
    """A job id, or the operation's pollUrl (/api/jobs/<id>) reduced to its id."""
    job_id = value.removeprefix(JOB_POLL_PREFIX)
    if re.fullmatch(JOB_ID_PATTERN, job_id):
        return job_id
    raise invalid(
        "invalid_job_id",
        "Not a HostUp job id",
        f"{describe(value)} is not a job id. Pass operation.jobId (e.g. job_01hxa3b4c5d6e7f8g9h0j1k2m3) or "
        "operation.pollUrl (/api/jobs/…) exactly as download_vps_iso returned it.",
    )


def check_primary_ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise invalid(
            "invalid_ip",
            "Not an IP address",
            f"{describe(value)} is not an IPv4 or IPv6 address; primary_ip must be the VPS's exact primary IP.",
        ) from None


def check_download_url(value: str) -> str:
    parts = urlsplit(value)
    if (
        parts.scheme in ("http", "https")
        and parts.hostname
        and len(value) <= 2048
        and not any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in value)
    ):
        return value
    raise invalid(
        "invalid_url",
        "Not a downloadable URL",
        f"{describe(value)} is not an http:// or https:// URL of at most 2048 characters without spaces. HostUp "
        "downloads the file itself; the URL must be public and must not redirect.",
    )


def check_filename(value: str) -> str:
    if (
        0 < len(value) <= 255
        and value not in (".", "..")
        and not any(char in "/\\" or not char.isprintable() for char in value)
    ):
        return value
    raise invalid(
        "invalid_filename",
        "Not a usable file name",
        f"{describe(value)} cannot be a file name: use 1-255 printable characters without / or \\, "
        "e.g. ubuntu-24.04-live-server-amd64.iso.",
    )


def describe(value: str) -> str:
    if not value.strip():
        return "An empty value"
    shown = value if len(value) <= 40 else value[:40] + "…"
    return f"The value {shown!r}"


def vps_hint(value: str) -> str:
    candidate = value.strip()
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        pass
    else:
        return f" It looks like an IP address: call list_vps with primary_ip={candidate} to get the VPS id."
    if _HOSTNAME.fullmatch(candidate):
        return " It looks like a hostname: call list_vps and pick the VPS by its name or primary IP."
    return ""
