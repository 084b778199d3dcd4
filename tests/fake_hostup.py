"""The fake HostUp of the tests: the sandbox's documented data, plus the faults a sandbox never shows.

Each VPS id selects a scenario. Ids the sandbox knows (the documented example, vps_demoblocked,
vps_demoforbidden, …) answer as in `--demo`; the ids below add test-only behaviour. Unlike the sandbox,
the fake checks the API key: a wrong key gets 401, NO_SCOPE_KEY gets 403 everywhere.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from hostup_mcp.hostup.sandbox import (
    BLOCKED_ISO_MEDIA,
    DOCUMENTED_ISO_MEDIA,
    EXAMPLE_ISO_ID,
    EXAMPLE_VPS_ID,
    ROUTES,
    Sandbox,
    problem_body,
    problem_response,
    route_action,
)
from tests.threaded_server import serving

__all__ = ["BLOCKED_200", "DOCUMENTED_200", "EXAMPLE_ISO_ID", "EXAMPLE_VPS_ID", "problem"]

API_KEY = "hu_test_4f9c2e7a1b8d"
NO_SCOPE_KEY = "hu_test_noscope_77aa"
DOCUMENTED_200 = DOCUMENTED_ISO_MEDIA
BLOCKED_200 = BLOCKED_ISO_MEDIA
PROBLEM_JSON = {"content-type": "application/problem+json"}
PROXY_HTML = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>body{font:14px sans-serif}</style></head>"
    "<body><h1>Bad Gateway</h1><p>The proxy server received an invalid response from an upstream server.</p>"
    + "<p>padding</p>" * 200
    + "</body></html>"
)


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


MANY_INSTALLERS = [
    ("debian-12.8.0-amd64-netinst.iso", "Debian 12.8 netinst", 0.6),
    ("rocky-9.5-x86_64-minimal.iso", "Rocky Linux 9.5 minimal", 1.8),
    ("almalinux-9.5-x86_64-dvd.iso", "AlmaLinux 9.5 DVD", 10.4),
    ("ubuntu-22.04.5-live-server-amd64.iso", "Ubuntu 22.04.5 LTS", 2.0),
    ("fedora-server-41-x86_64-dvd.iso", "Fedora Server 41", 2.5),
    ("archlinux-2026.11.01-x86_64.iso", None, 1.2),
    ("proxmox-ve_8.3-1.iso", "Proxmox VE 8.3", 1.3),
    ("SERVER_EVAL_x64FRE_en-us.iso", "Windows Server 2022 Standard Evaluation (English, 64-bit)", 4.7),
    ("virtio-win-0.1.266.iso", "VirtIO drivers for Windows", 0.7),
    ("opnsense-25.1-dvd-amd64.iso", "OPNsense 25.1", 2.1),
    ("rescue-systemrescue-11.03-amd64.iso", "SystemRescue 11.03", 1.0),
]


def with_many_isos() -> dict[str, Any]:
    """Twelve ISOs and four CD/DVD slots, two of them taken: an account that keeps its own installers."""
    body = copy.deepcopy(DOCUMENTED_200)
    body["available"] += [
        {"id": f"iso_01hxmany{index:02d}", "name": name, "displayName": shown, "sizeGb": size, "format": "iso"}
        for index, (name, shown, size) in enumerate(MANY_INSTALLERS)
    ]
    body["mounted"].append({"device": "ide0", "isoId": "iso_01hxmany08", "mounted": True, "isCloudInit": False})
    body["availableDevices"] = [
        {"device": "ide0", "type": "existing_cdrom", "description": "CD/DVD 1", "inUse": True},
        {"device": "ide1", "type": "available", "description": "CD/DVD 2", "inUse": False},
        *body["availableDevices"],
    ]
    return body


def problem(status: int, code: str, title: str, detail: str, path: str, **extra: Any) -> dict[str, Any]:
    """A problem document in the reference's shape, for statuses and codes the sandbox does not use."""
    return problem_body(status, path, code=code, title=title, detail=detail, **extra)


class FakeHostUp:
    """Scenario by VPS id; records every request so tests can count and inspect them."""

    def __init__(self, api_key: str = API_KEY, slow_seconds: float = 30.0) -> None:
        self.api_key = api_key
        self.slow_seconds = slow_seconds
        self.sandbox = Sandbox()
        self.requests: list[httpx.Request] = []
        self.calls: Counter[str] = Counter()

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        authorization = request.headers.get("authorization")
        if authorization == f"Bearer {NO_SCOPE_KEY}":
            return problem_response(403, path)
        if authorization != f"Bearer {self.api_key}":
            return problem_response(401, path)
        route = ROUTES.match(path)
        if request.method == "GET" and route is not None and route_action(route) == "iso":
            vps_id = route.group("vps")
            self.calls[vps_id] += 1
            scripted = await self.scenario(vps_id, path, self.calls[vps_id])
            if scripted is not None:
                return scripted
        return self.sandbox.handle(request)

    async def scenario(self, vps_id: str, path: str, call: int) -> httpx.Response | None:
        match vps_id:
            case "vps_extra":
                return httpx.Response(200, json=with_extra_fields())
            case "vps_unicode":
                return httpx.Response(200, json=with_unicode_names())
            case "vps_manyisos":
                return httpx.Response(200, json=with_many_isos())
            case "vps_invalid":
                errors = [{"pointer": "/id", "detail": "`id` is malformed.", "code": "invalid_request"}]
                return problem_response(400, path, errors=errors)
            case "vps_throttledonce" if call == 1:
                body = problem(429, "rate_limit_exceeded", "Too many requests", "Too many requests.", path)
                return httpx.Response(429, headers={**PROBLEM_JSON, "retry-after": "1"}, json=body)
            case "vps_flaky" if call == 1:
                body = problem(503, "upstream_unavailable", "Service unavailable", "Try again shortly.", path)
                return httpx.Response(503, headers=PROBLEM_JSON, json=body)
            case "vps_throttledonce" | "vps_flaky":
                return httpx.Response(200, json=DOCUMENTED_200)
            case "vps_proxyhtml":
                return httpx.Response(502, headers={"content-type": "text/html"}, text=PROXY_HTML)
            case "vps_badjson":
                return httpx.Response(200, headers={"content-type": "application/json"}, content=b'{"available": [')
            case "vps_surrogate":  # what a JavaScript backend sends after cutting an emoji in half
                body = json.dumps(DOCUMENTED_200).replace("Ubuntu 24.04 LTS", "Ubuntu \\ud800 24.04")
                return httpx.Response(200, headers={"content-type": "application/json"}, content=body.encode())
            case "vps_badshape":
                return httpx.Response(200, json={"available": "none", "mounted": []})
            case "vps_slow":
                await asyncio.sleep(self.slow_seconds)
                return httpx.Response(200, json=DOCUMENTED_200)
        return None

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)


@contextmanager
def serve_http(fake: FakeHostUp) -> Iterator[str]:
    """Serve `fake` over real HTTP/1.1 (keep-alive) on 127.0.0.1 from an event loop in a thread; yields the URL."""

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = writer.get_extra_info("sockname")[1]
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                request_line, *header_lines = head.split("\r\n")
                method, target, _ = request_line.split(" ", 2)
                headers = [tuple(line.split(": ", 1)) for line in header_lines if ": " in line]
                length = int(next((value for name, value in headers if name.lower() == "content-length"), "0"))
                body = await reader.readexactly(length) if length else b""
                request = httpx.Request(method, f"http://127.0.0.1:{port}{target}", headers=headers, content=body)
                response = await fake.handle(request)
                content = response.content
                lines = [f"HTTP/1.1 {response.status_code} {response.reason_phrase}"]
                lines += [
                    f"{name}: {value}"
                    for name, value in response.headers.items()
                    if name.lower() not in ("content-length", "transfer-encoding")
                ]
                lines.append(f"content-length: {len(content)}")
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + content)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    with serving(connection) as port:
        yield f"http://127.0.0.1:{port}"


def compact_json(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


SESSION_COOKIE = re.compile(r"(?:^|;\s*)hostup_session=([^;]+)")


class PerKeyHostUp(FakeHostUp):
    """Several users, each with their own key and their own ISO: a call shows whose key it used.

    Like a real HostUp (or the balancer in front of it), it answers with a session cookie, and a request that
    brings one is served as that session's user ahead of its Bearer key: HostUp documents `hostup_session` as
    a credential ("Dashboard sessions may also use hostup_session"). A client that keeps cookies would show
    one user another's data."""

    def __init__(self, owners: dict[str, str]) -> None:
        super().__init__()
        self.owners = owners  # key -> owner
        self.used: list[tuple[str, str]] = []  # (owner, path) of every request

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = request.headers.get("authorization", "").removeprefix("Bearer ")
        session = SESSION_COOKIE.search(request.headers.get("cookie", ""))
        owner = session.group(1) if session else self.owners.get(key)
        if owner is None:
            return problem_response(401, request.url.path)
        self.used.append((owner, request.url.path))
        await asyncio.sleep(self.slow_seconds if "vps_slow" in request.url.path else 0.01)  # calls overlap
        body = copy.deepcopy(DOCUMENTED_200)
        body["available"][0]["displayName"] = f"ISO of {owner}"
        cookie = f"hostup_session={owner}; Path=/; HttpOnly; SameSite=Lax"
        return httpx.Response(200, json=body, headers={"set-cookie": cookie})
