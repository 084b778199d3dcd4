"""An in-process HostUp sandbox for `--demo`: no network, no key, data shaped like the API reference.

The bodies are the reference's documented examples (GET /api/v2/vps/{id}/iso and its problem
examples) and variations within the documented schema. The tests build their fake HostUp on this
module, so the demo and the tests share one source of truth.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import httpx

EXAMPLE_VPS_ID = "vps_01hxa3b4c5d6e7f8g9h0j1k2m3"
EXAMPLE_ISO_ID = "iso_01hxa3b4c5d6e7f8g9h0j1k2m3"
EXAMPLE_JOB_ID = "job_01hxa3b4c5d6e7f8g9h0j1k2m3"
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
    409: ("conflict", "Conflict", "The action is not possible in the resource's current state."),
    500: (
        "internal_error",
        "Internal server error",
        "An unexpected error occurred. Retry later or contact support if the issue persists.",
    ),
}
PROBLEM_HEADERS = {"content-type": "application/problem+json"}
RATE_LIMIT_HEADERS = {"retry-after": "30", "x-ratelimit-limit": "60", "x-ratelimit-remaining": "0"}
ROUTES = re.compile(
    r"^/api/(?:v2/vps(?P<list>)|v2/vps/(?P<vps>[^/]+)/iso(?:/actions/(?P<act>mount|unmount|from-url)|/(?P<volid>[^/]+))?"
    r"|jobs/(?P<job>[^/]+))$"
)
LEGACY_REQUEST_ID = "2121ae20-bd9d-41e9-aeeb-5dd1dd1a24ba"


def problem_body(status: int, instance: str, **extra: Any) -> dict[str, Any]:
    """The reference's problem example for `status`, with the request's path as `instance`; `code`, `title`
    and `detail` may be given to vary it, any other keyword becomes an extension member."""
    code, title, detail = PROBLEMS.get(status, ("error", "Error", "The request failed."))
    code, title, detail = extra.pop("code", code), extra.pop("title", title), extra.pop("detail", detail)
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
    """Answers the documented HostUp routes from the data above, keeping state per instance (mounts,
    downloads, deletions); any key is accepted. Where the reference leaves a response undocumented
    (mount, delete), the sandbox's answer is an assumption, listed in the README."""

    page_size = 2  # small, so that paging shows with three VPS

    def __init__(self) -> None:
        self.iso_media = {vps_id: copy.deepcopy(media) for vps_id, (_, media) in SANDBOX_VPS.items()}
        # The job of get_job's documented example id, already finished, so the example works in the demo.
        self.jobs: dict[str, dict[str, Any]] = {
            EXAMPLE_JOB_ID: {"vps": EXAMPLE_VPS_ID, "filename": None, "polls": 2, "added": True, "number": 0}
        }

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        route = ROUTES.match(path)
        if route is None:
            return problem_response(404, path)
        vps_id, action = route.group("vps"), route_action(route)
        if vps_id in ERROR_DEMO_IDS:
            return problem_response(ERROR_DEMO_IDS[vps_id], path)
        if vps_id is not None and vps_id not in self.iso_media:
            return problem_response(404, path)
        body = json.loads(request.content) if request.content else {}
        if action == "list" and request.method == "GET":
            return self.list_vps(request)
        if action == "job" and request.method == "GET":
            return self.job(route.group("job"), path)
        if vps_id is None:
            return problem_response(404, path)
        match request.method, action:
            case "GET", "iso":
                return httpx.Response(200, json=self.iso_media[vps_id])
            case "POST", "mount":
                return self.mount(vps_id, body, path)
            case "POST", "unmount":
                return self.unmount(vps_id, body, path)
            case "POST", "from-url":
                return self.download(vps_id, body, path)
            case "DELETE", "delete":
                return self.delete(vps_id, route.group("volid"), path)
        return problem_response(404, path)

    def list_vps(self, request: httpx.Request) -> httpx.Response:
        items = [item for item, _ in SANDBOX_VPS.values()]
        wanted_ip = request.url.params.get("primaryIp")
        if wanted_ip is not None:
            items = [item for item in items if item["primaryIp"] == wanted_ip]
        cursor = request.url.params.get("cursor")
        start = 0
        if cursor is not None:
            if not re.fullmatch(r"c[0-9]+", cursor):
                detail = "Cursor is invalid or malformed."
                return problem_response(400, request.url.path, code="invalid_cursor", detail=detail)
            start = int(cursor[1:])
        limit = min(int(request.url.params.get("limit", self.page_size)), self.page_size)
        page = items[start : start + limit]
        following = f"c{start + limit}" if start + limit < len(items) else None
        return httpx.Response(200, json={"data": page, "nextCursor": following})

    def mount(self, vps_id: str, body: dict[str, Any], path: str) -> httpx.Response:
        media = self.iso_media[vps_id]
        gate = media["actions"]["canMount"]
        if not gate["allowed"]:
            return problem_response(409, path, code=gate.get("code") or "conflict", detail=gate["reason"])
        iso_id = body.get("isoId")
        if iso_id not in {image["id"] for image in media["available"]}:
            return invalid_field(path, "/isoId", "`isoId` must be one of available[].id.")
        holding = [item["device"] for item in media["mounted"] if item["isoId"] == iso_id and item["mounted"]]
        if holding and body.get("device") in (None, *holding):  # mounting is idempotent
            return httpx.Response(200, json={"device": holding[0], "isoId": iso_id})
        free = [slot["device"] for slot in media["availableDevices"] if not slot["inUse"]]
        device = body.get("device") or (free[0] if free else None)
        if device is None or device not in [slot["device"] for slot in media["availableDevices"]]:
            return invalid_field(path, "/device", "No free CD/DVD device; unmount one first.")
        media["mounted"] = [item for item in media["mounted"] if item["device"] != device]
        media["mounted"].append({"device": device, "isoId": iso_id, "mounted": True, "isCloudInit": False})
        set_in_use(media, device, in_use=True)
        return httpx.Response(200, json={"device": device, "isoId": iso_id})

    def unmount(self, vps_id: str, body: dict[str, Any], path: str) -> httpx.Response:
        media = self.iso_media[vps_id]
        device = body.get("device") or "ide2"
        if not any(item["device"] == device and item["isoId"] for item in media["mounted"]):
            return invalid_field(path, "/device", f"No ISO is mounted in {device}.")
        media["mounted"] = [item for item in media["mounted"] if item["device"] != device]
        set_in_use(media, device, in_use=False)
        return httpx.Response(200, json={"device": device})

    def download(self, vps_id: str, body: dict[str, Any], path: str) -> httpx.Response:
        media = self.iso_media[vps_id]
        gate = media["actions"]["canUpload"]
        if not gate["allowed"]:
            return problem_response(409, path, code=gate.get("code") or "conflict", detail=gate["reason"])
        if not str(body.get("url", "")).startswith(("http://", "https://")):
            return invalid_field(path, "/url", "`url` must be an HTTP or HTTPS URL.")
        if any(image["name"] == body.get("filename") for image in media["available"]):
            operation = {"status": "completed", "jobId": f"job_{len(self.jobs):026d}", "pollUrl": None}
            return httpx.Response(200, json={"operation": operation})
        number = len(self.jobs)
        job_id = f"job_sandbox{number:017d}"
        self.jobs[job_id] = {"vps": vps_id, "filename": body["filename"], "polls": 0, "number": number}
        operation = {"status": "queued", "jobId": job_id, "pollUrl": f"/api/jobs/{job_id}", "result": None}
        return httpx.Response(202, json={"operation": operation})

    def job(self, job_id: str, path: str) -> httpx.Response:
        job = self.jobs.get(job_id)
        if job is None:
            return httpx.Response(
                404,
                json={
                    "error": "Not Found",
                    "message": "Job not found",
                    "code": "NOT_FOUND",
                    "timestamp": TIMESTAMP,
                    "requestId": LEGACY_REQUEST_ID,
                },
            )
        job["polls"] += 1
        done = job["polls"] >= 2
        if done and not job.get("added"):
            job["added"] = True
            iso_id = f"iso_sandbox{job['number']:017d}"  # one ISO per job, whatever else finished
            self.iso_media[job["vps"]]["available"].append(
                {"id": iso_id, "name": job["filename"], "displayName": None, "sizeGb": 2.1, "format": "iso"}
            )
        data = {
            "jobId": job_id,
            "type": "iso_download",
            "state": "completed" if done else "active",
            "status": "completed" if done else "in_progress",
            "progress": 100 if done else 50,
            "progressMessage": "Download finished" if done else f"Downloading {job['filename']}",
            "isCompleted": done,
            "isFailed": False,
            "isRunning": not done,
            "isWaiting": False,
            "createdAt": TIMESTAMP,
            "finishedAt": TIMESTAMP if done else None,
        }
        return httpx.Response(
            200, json={"success": True, "timestamp": TIMESTAMP, "requestId": LEGACY_REQUEST_ID, "data": data}
        )

    def delete(self, vps_id: str, volid: str, path: str) -> httpx.Response:
        media = self.iso_media[vps_id]
        if volid not in {image["id"] for image in media["available"]}:
            return problem_response(404, path)
        media["available"] = [image for image in media["available"] if image["id"] != volid]
        for item in [item for item in media["mounted"] if item["isoId"] == volid]:
            media["mounted"].remove(item)
            set_in_use(media, item["device"], in_use=False)
        return httpx.Response(204)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)


def route_action(route: re.Match[str]) -> str:
    if route.group("list") is not None:
        return "list"
    if route.group("job") is not None:
        return "job"
    if route.group("act") is not None:
        return route.group("act")
    return "delete" if route.group("volid") is not None else "iso"


def set_in_use(media: dict[str, Any], device: str, *, in_use: bool) -> None:
    for slot in media["availableDevices"]:
        if slot["device"] == device:
            slot["inUse"] = in_use


def invalid_field(path: str, pointer: str, detail: str) -> httpx.Response:
    return problem_response(400, path, errors=[{"pointer": pointer, "detail": detail, "code": "invalid_request"}])
