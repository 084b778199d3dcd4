"""An in-process HostUp sandbox for `--demo`: no network, no key, data shaped like the API reference.

The bodies are the reference's documented examples (GET /api/v2/vps/{id}/iso and its problem
examples) and variations within the documented schema. The tests build their fake HostUp on this
module, so the demo and the tests share one source of truth.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import httpx

EXAMPLE_VPS_ID = "vps_01hxa3b4c5d6e7f8g9h0j1k2m3"
EXAMPLE_ISO_ID = "iso_01hxa3b4c5d6e7f8g9h0j1k2m3"
REQUEST_ID = "req_01hxa3b4c5d6e7f8g9h0j1k2m3"
TIMESTAMP = "2026-04-27T12:34:56.000Z"

DOCUMENTED_ISO_MEDIA: dict[str, Any] = {
    "available": [
        {
            "id": EXAMPLE_ISO_ID,
            "name": "ubuntu-24.04-live-server-amd64.iso",
            "displayName": "Ubuntu 24.04 LTS",
            "sizeGb": 5.9,
            "format": "iso",
        }
    ],
    "mounted": [{"device": "ide2", "isoId": EXAMPLE_ISO_ID, "mounted": True, "isCloudInit": False}],
    "bootOrder": {
        "order": ["scsi0", "ide2"],
        "devices": {"scsi0": "Disk", "ide2": "CD/DVD 3"},
        "availableDevices": [
            {"id": "scsi0", "name": "Disk", "type": "disk"},
            {"id": "ide2", "name": "CD/DVD 3", "type": "cdrom"},
        ],
    },
    "availableDevices": [
        {"device": "ide2", "type": "existing_cdrom", "description": "CD/DVD 3", "inUse": True},
        {"device": "ide3", "type": "available", "description": "CD/DVD 4", "inUse": False},
    ],
    "actions": {"canMount": {"allowed": True, "reason": None}, "canUpload": {"allowed": True, "reason": None}},
}

BLOCKED_ISO_MEDIA: dict[str, Any] = {
    "available": [
        {
            "id": "iso_01hxb7debian12netinst000",
            "name": "debian-12.8.0-amd64-netinst.iso",
            "displayName": None,
            "sizeGb": 0.6,
            "format": None,
        }
    ],
    "mounted": [{"device": None, "isoId": None, "mounted": False, "isCloudInit": True}],
    "bootOrder": None,
    "availableDevices": [{"device": "ide0", "type": None, "description": None, "inUse": False}],
    "actions": {
        "canMount": {"allowed": False, "reason": "The VPS has a pending order.", "code": "pending_order"},
        "canUpload": {"allowed": False, "reason": "Uploads are paused while an order is pending.", "code": None},
    },
}

EMPTY_ISO_MEDIA: dict[str, Any] = {
    "available": [],
    "mounted": [],
    "bootOrder": None,
    "availableDevices": [{"device": "ide2", "type": "existing_cdrom", "description": "CD/DVD 3", "inUse": False}],
    "actions": {"canMount": {"allowed": True, "reason": None}, "canUpload": {"allowed": True, "reason": None}},
}


def vps_item(vps_id: str, name: str, ip: str, power: str, os_name: str, family: str, version: str) -> dict[str, Any]:
    """One inventory item with the fields the reference documents for GET /api/v2/vps/{id}."""
    return {
        "id": vps_id,
        "name": name,
        "primaryIp": ip,
        "serviceStatus": "active",
        "powerState": power,
        "operatingSystem": {"displayName": os_name, "family": family, "version": version, "variant": None},
        "billing": {"amount": 199, "currencyCode": "SEK", "billingCycle": "annually", "isPayg": False},
        "resources": {"cpuCores": 2, "memoryGb": 4, "storageGb": 80},
    }


SANDBOX_VPS = {
    EXAMPLE_VPS_ID: (
        vps_item(EXAMPLE_VPS_ID, "app-01", "192.0.2.10", "running", "Ubuntu 24.04", "ubuntu", "24.04"),
        DOCUMENTED_ISO_MEDIA,
    ),
    "vps_demoblocked": (
        vps_item("vps_demoblocked", "db-02", "192.0.2.11", "stopped", "Debian 12", "debian", "12"),
        BLOCKED_ISO_MEDIA,
    ),
    "vps_demoempty": (
        vps_item("vps_demoempty", "build-03", "192.0.2.12", "running", "Rocky Linux 9", "rocky", "9"),
        EMPTY_ISO_MEDIA,
    ),
}

# Ids that exist only to show each documented error; listed by `hostup-mcp --help` and the README.
ERROR_DEMO_IDS = {
    "vps_demoforbidden": 403,
    "vps_demoratelimited": 429,
    "vps_demobroken": 500,
    "vps_demomissing": 404,
}

PROBLEMS = {
    400: ("invalid_request", "Invalid request", "The request body failed validation."),
    401: ("unauthorized", "Unauthorized", "Authentication is required."),
    403: ("forbidden", "Forbidden", "The caller lacks a required scope or does not own the resource."),
    404: ("not_found", "Not found", "The requested resource could not be found."),
    429: ("rate_limit_exceeded", "Too many requests", "Too many requests. Retry after the limit resets."),
    500: (
        "internal_error",
        "Internal server error",
        "An unexpected error occurred. Retry later or contact support if the issue persists.",
    ),
}
PROBLEM_HEADERS = {"content-type": "application/problem+json"}
RATE_LIMIT_HEADERS = {"retry-after": "30", "x-ratelimit-limit": "60", "x-ratelimit-remaining": "0"}
ISO_ROUTE = re.compile(r"^/api/v2/vps/([^/]+)/iso$")


def problem_body(status: int, instance: str, **extra: Any) -> dict[str, Any]:
    """The reference's problem example for `status`, with the request's path as `instance`."""
    code, title, detail = PROBLEMS[status]
    return {
        "type": f"https://developer.hostup.se/errors/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": instance,
        "requestId": REQUEST_ID,
        "timestamp": TIMESTAMP,
        **extra,
    }


def problem_response(status: int, instance: str, **extra: Any) -> httpx.Response:
    headers = {**PROBLEM_HEADERS, **(RATE_LIMIT_HEADERS if status == 429 else {})}
    return httpx.Response(status, headers=headers, json=problem_body(status, instance, **extra))


class Sandbox:
    """Answers the documented HostUp routes from the data above; any key is accepted."""

    def __init__(self) -> None:
        self.iso_media = {vps_id: copy.deepcopy(media) for vps_id, (_, media) in SANDBOX_VPS.items()}

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path == "/api/v2/vps":
            return self.list_vps(request)
        match = ISO_ROUTE.match(path)
        if request.method == "GET" and match:
            return self.get_iso_media(match.group(1), path)
        return problem_response(404, path)

    def list_vps(self, request: httpx.Request) -> httpx.Response:
        items = [item for item, _ in SANDBOX_VPS.values()]
        wanted_ip = request.url.params.get("primaryIp")
        if wanted_ip is not None:
            items = [item for item in items if item["primaryIp"] == wanted_ip]
        return httpx.Response(200, json={"data": items, "nextCursor": None})

    def get_iso_media(self, vps_id: str, path: str) -> httpx.Response:
        if vps_id in self.iso_media:
            return httpx.Response(200, json=self.iso_media[vps_id])
        return problem_response(ERROR_DEMO_IDS.get(vps_id, 404), path)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)
