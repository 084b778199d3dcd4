"""A fake HostUp that answers GET /api/v2/vps/{id}/iso as the API reference documents it.

Each VPS id selects a scenario. The bodies are the reference page's examples (get-v2-vps-id-iso.md);
the variations (nulls, blocked gates, extra fields, hostile names) stay within the documented schema.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

API_KEY = "hu_test_4f9c2e7a1b8d"
EXAMPLE_VPS_ID = "vps_01hxa3b4c5d6e7f8g9h0j1k2m3"
EXAMPLE_ISO_ID = "iso_01hxa3b4c5d6e7f8g9h0j1k2m3"

DOCUMENTED_200: dict[str, Any] = {
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

BLOCKED_200: dict[str, Any] = {
    "available": [
        {"id": "iso_01hxb0000000000000000000aa", "name": None, "displayName": None, "sizeGb": 0.4, "format": None}
    ],
    "mounted": [{"device": None, "isoId": None, "mounted": False, "isCloudInit": True}],
    "bootOrder": None,
    "availableDevices": [{"device": "ide0", "type": None, "description": None, "inUse": False}],
    "actions": {
        "canMount": {"allowed": False, "reason": "The VPS has a pending order.", "code": "pending_order"},
        "canUpload": {"allowed": False, "reason": "Uploads are paused for this VPS.", "code": None},
    },
}

EMPTY_200: dict[str, Any] = {
    "available": [],
    "mounted": [],
    "bootOrder": None,
    "availableDevices": [],
    "actions": {"canMount": {"allowed": True, "reason": None}, "canUpload": {"allowed": True, "reason": None}},
}


def with_extra_fields() -> dict[str, Any]:
    body = copy.deepcopy(DOCUMENTED_200)
    body["storagePool"] = "local-lvm"
    body["available"][0]["checksum"] = "sha256:9f86d081"
    body["mounted"][0]["readOnly"] = True
    body["actions"]["canMount"]["since"] = "2026-04-27T12:34:56.000Z"
    body["actions"]["canAttachEmpty"] = {"allowed": True, "reason": None}
    return body


def with_unicode_names() -> dict[str, Any]:
    body = copy.deepcopy(DOCUMENTED_200)
    body["available"][0]["displayName"] = "Ubuntu 24.04 – svensk utgåva ✓"
    body["available"][0]["name"] = "日本語-インストーラ.iso"
    body["availableDevices"][1]["description"] = "CD/DVD Ⅳ"
    return body


def problem(status: int, code: str, title: str, detail: str, path: str, **extra: Any) -> dict[str, Any]:
    """The reference's problem example for `status`, with this request's path as `instance`."""
    return {
        "type": f"https://developer.hostup.se/errors/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": path,
        "requestId": "req_01hxa3b4c5d6e7f8g9h0j1k2m3",
        "timestamp": "2026-04-27T12:34:56.000Z",
        **extra,
    }


PROBLEM_JSON = {"content-type": "application/problem+json"}
PROXY_HTML = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>body{font:14px sans-serif}</style></head>"
    "<body><h1>Bad Gateway</h1><p>The proxy server received an invalid response from an upstream server.</p>"
    + "<p>padding</p>" * 200
    + "</body></html>"
)
ISO_PATH = re.compile(r"^/api/v2/vps/([^/]+)/iso$")


class FakeHostUp:
    """Scenario by VPS id; records every request so tests can count and inspect them."""

    def __init__(self, api_key: str = API_KEY, slow_seconds: float = 30.0) -> None:
        self.api_key = api_key
        self.slow_seconds = slow_seconds
        self.requests: list[httpx.Request] = []
        self.calls: Counter[str] = Counter()

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        match = ISO_PATH.match(path)
        if request.method != "GET" or match is None:
            return httpx.Response(404, json=problem(404, "not_found", "Not found", "No such route.", path))
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return httpx.Response(
                401,
                headers=PROBLEM_JSON,
                json=problem(401, "unauthorized", "Unauthorized", "Authentication is required.", path),
            )
        vps_id = match.group(1)
        self.calls[vps_id] += 1
        return await self.scenario(vps_id, path, self.calls[vps_id])

    async def scenario(self, vps_id: str, path: str, call: int) -> httpx.Response:
        match vps_id:
            case "vps_01hxa3b4c5d6e7f8g9h0j1k2m3":
                return httpx.Response(200, json=DOCUMENTED_200)
            case "vps_blocked":
                return httpx.Response(200, json=BLOCKED_200)
            case "vps_empty":
                return httpx.Response(200, json=EMPTY_200)
            case "vps_extra":
                return httpx.Response(200, json=with_extra_fields())
            case "vps_unicode":
                return httpx.Response(200, json=with_unicode_names())
            case "vps_forbidden":
                detail = "The caller lacks a required scope or does not own the resource."
                return httpx.Response(
                    403, headers=PROBLEM_JSON, json=problem(403, "forbidden", "Forbidden", detail, path)
                )
            case "vps_invalid":
                errors = [{"pointer": "/id", "detail": "`id` is malformed.", "code": "invalid_request"}]
                body = problem(
                    400, "invalid_request", "Invalid request", "The request failed validation.", path, errors=errors
                )
                return httpx.Response(400, headers=PROBLEM_JSON, json=body)
            case "vps_ratelimited":
                body = problem(
                    429,
                    "rate_limit_exceeded",
                    "Too many requests",
                    "Too many requests. Retry after the limit resets.",
                    path,
                )
                headers = {**PROBLEM_JSON, "retry-after": "30", "x-ratelimit-limit": "60", "x-ratelimit-remaining": "0"}
                return httpx.Response(429, headers=headers, json=body)
            case "vps_throttledonce" if call == 1:
                body = problem(429, "rate_limit_exceeded", "Too many requests", "Too many requests.", path)
                return httpx.Response(429, headers={**PROBLEM_JSON, "retry-after": "1"}, json=body)
            case "vps_throttledonce":
                return httpx.Response(200, json=DOCUMENTED_200)
            case "vps_flaky" if call == 1:
                body = problem(503, "upstream_unavailable", "Service unavailable", "Try again shortly.", path)
                return httpx.Response(503, headers=PROBLEM_JSON, json=body)
            case "vps_flaky":
                return httpx.Response(200, json=DOCUMENTED_200)
            case "vps_broken":
                detail = "An unexpected error occurred. Retry later or contact support if the issue persists."
                body = problem(500, "internal_error", "Internal server error", detail, path)
                return httpx.Response(500, headers=PROBLEM_JSON, json=body)
            case "vps_proxyhtml":
                return httpx.Response(502, headers={"content-type": "text/html"}, text=PROXY_HTML)
            case "vps_badjson":
                return httpx.Response(200, headers={"content-type": "application/json"}, content=b'{"available": [')
            case "vps_badshape":
                return httpx.Response(200, json={"available": "none", "mounted": []})
            case "vps_slow":
                await asyncio.sleep(self.slow_seconds)
                return httpx.Response(200, json=DOCUMENTED_200)
        detail = "The requested resource could not be found."
        return httpx.Response(404, headers=PROBLEM_JSON, json=problem(404, "not_found", "Not found", detail, path))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)


@contextmanager
def serve_http(fake: FakeHostUp) -> Iterator[str]:
    """Serve `fake` over real HTTP on 127.0.0.1; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            request = httpx.Request("GET", f"http://{self.headers.get('host')}{self.path}", headers=dict(self.headers))
            response = asyncio.run(fake.handle(request))
            body = response.content
            self.send_response(response.status_code)
            for name, value in response.headers.items():
                if name.lower() not in ("content-length", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def compact_json(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)
