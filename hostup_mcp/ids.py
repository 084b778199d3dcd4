"""HostUp public ids: checked before they become part of a request path."""

from __future__ import annotations

import ipaddress
import re

from hostup_mcp.problems import HostUpError, synthesized

VPS_ID_PATTERN = r"^vps_[A-Za-z0-9]{1,64}$"
VPS_ID_MAX_LENGTH = 68
VPS_ID_EXAMPLE = "vps_01hxa3b4c5d6e7f8g9h0j1k2m3"
_VPS_ID = re.compile(VPS_ID_PATTERN)
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}\.?$")


def check_vps_id(value: str) -> str:
    """Return `value` if it is a well-formed public VPS id, else raise HostUpError(invalid_vps_id).

    Only ASCII letters and digits follow the prefix, so nothing the caller passes can add a path
    segment, a query, a fragment or a header to the request.
    """
    if _VPS_ID.fullmatch(value):
        return value
    raise HostUpError(
        synthesized(
            "invalid_vps_id",
            "Not a HostUp VPS id",
            f"{describe(value)} is not a public VPS id. Expected the form {VPS_ID_EXAMPLE}: 'vps_' followed "
            f"by letters and digits, as returned in data[].id by GET /api/v2/vps.{hint(value)} Never guess "
            "or construct the id.",
        )
    )


def describe(value: str) -> str:
    if not value.strip():
        return "An empty value"
    shown = value if len(value) <= 40 else value[:40] + "…"
    return f"The value {shown!r}"


def hint(value: str) -> str:
    candidate = value.strip()
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        pass
    else:
        return " It looks like an IP address: find the VPS with that primary IP in GET /api/v2/vps."
    if _HOSTNAME.fullmatch(candidate):
        return " It looks like a hostname: find the VPS by name in GET /api/v2/vps."
    return ""
