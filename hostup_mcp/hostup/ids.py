"""HostUp's id formats and the rules for caller-supplied values, before they become part of a request.

Each rule returns why a value is unusable (a phrase for a human), or None when it is fine. The tool
layer turns those phrases into argument errors; nothing here knows about MCP tools.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

VPS_ID_PATTERN = r"^vps_[A-Za-z0-9]{1,64}$"
ISO_ID_PATTERN = r"^iso_[A-Za-z0-9]{1,64}$"
# job_… ids, and the legacy ids the jobs route also serves (e.g. start-17122-1768986364277).
JOB_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"
ID_MAX_LENGTH = 68
JOB_REFERENCE_MAX_LENGTH = 140
URL_MAX_LENGTH = 2048
FILENAME_MAX_LENGTH = 255
VPS_ID_EXAMPLE = "vps_01hxa3b4c5d6e7f8g9h0j1k2m3"
ISO_ID_EXAMPLE = "iso_01hxa3b4c5d6e7f8g9h0j1k2m3"
JOB_ID_EXAMPLE = "job_01hxa3b4c5d6e7f8g9h0j1k2m3"
JOB_POLL_PREFIX = "/api/jobs/"
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}\.?$")


def is_vps_id(value: str) -> bool:
    """Only ASCII letters and digits follow the prefix, so a valid id cannot add a path segment,
    a query, a fragment or a header to a request."""
    return re.fullmatch(VPS_ID_PATTERN, value) is not None


def is_iso_id(value: str) -> bool:
    return re.fullmatch(ISO_ID_PATTERN, value) is not None


def job_id_from(value: str) -> str | None:
    """The job id in a job id or an operation's pollUrl (/api/jobs/<id>), or None."""
    job_id = value.removeprefix(JOB_POLL_PREFIX)
    return job_id if re.fullmatch(JOB_ID_PATTERN, job_id) else None


def looks_like_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip())
    except ValueError:
        return False
    return True


def looks_like_hostname(value: str) -> bool:
    return _HOSTNAME.fullmatch(value.strip()) is not None


def ip_problem(value: str) -> str | None:
    """An IP address as HostUp lists it: IPv4 or IPv6, without a zone id or surrounding spaces."""
    if "%" in value:
        return "has a zone id (%…), which a VPS's primary IP never has"
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return "is not an IPv4 or IPv6 address"
    return None


def download_url_problem(value: str) -> str | None:
    """Why HostUp should not be asked to download from `value`, or None.

    HostUp fetches the URL from inside its own network, so a URL naming a loopback, private,
    link-local or otherwise non-public address literally (in any of the forms an HTTP client
    accepts for IPv4, such as 2130706433 or 0x7f.1) or `localhost` is refused before it is sent.
    A hostname is not resolved: its address here says nothing reliable about HostUp's view.
    """
    if len(value) > URL_MAX_LENGTH:
        return f"is longer than {URL_MAX_LENGTH} characters"
    if any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        return "contains spaces or control characters"
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return "is not a well-formed URL"
    if parts.scheme not in ("http", "https"):
        return "is not an http:// or https:// URL"
    if not host:
        return "has no host name"
    if parts.username is not None or parts.password is not None:
        return "contains a user name or password, which would be handed to HostUp's downloader"
    name = host.rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return "points at localhost"
    address = literal_address(host)
    if address is not None and (not address.is_global or address.is_multicast):
        return f"points at {address}, which is not a public internet address"
    return None


def literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host name spells literally, or None for a real name."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:
            # inet_aton accepts the legacy IPv4 spellings (127.1, 0x7f.0.0.1, 2130706433) that URL
            # parsers in many HTTP clients also accept.
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def cursor_problem(value: str) -> str | None:
    """A cursor goes back to HostUp exactly as it came, in a URL: it must be text a URL can carry."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "holds a lone surrogate (an unpaired \\ud800-\\udfff escape), which no URL can carry"
    return None


def filename_problem(value: str) -> str | None:
    if not 0 < len(value) <= FILENAME_MAX_LENGTH:
        return f"must be 1 to {FILENAME_MAX_LENGTH} characters long"
    if value in (".", ".."):
        return "cannot be . or .."
    if any(char in "/\\" or not char.isprintable() for char in value):
        return "contains / or \\ or a non-printable character"
    return None
