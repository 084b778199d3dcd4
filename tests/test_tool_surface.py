"""What the model reads in tools/list, pinned; and the documents that must agree with it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from inline_snapshot import snapshot
from mcp import Client

from hostup_mcp.config import Config
from hostup_mcp.server import build_server
from tests.other_clients import node_bin

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.anyio


async def listed_tools() -> list[dict[str, Any]]:
    """The whole surface: with writes enabled, every tool the server can offer."""
    async with Client(build_server(Config(api_key=None, enable_writes=True))) as client:
        tools = (await client.list_tools()).tools
    return [tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in tools]


async def test_tools_list_is_exactly_as_reviewed():
    assert await listed_tools() == snapshot(
        [
            {
                "name": "list_vps",
                "title": "List VPS",
                "description": "List the user's HostUp VPS (virtual servers) with their public ids. Call it first: the other tools need a vps_id from here (data[].id, form vps_…); never guess one. Pass primary_ip to find the VPS with that exact IP address (an IP is never a vps_id). Returns data[] (id, name, primaryIp, serviceStatus, powerState, operatingSystem, plus whatever else HostUp includes) and nextCursor: when it is not null, more VPS exist; call again with cursor=nextCursor for the next page. Read-only. Svenska: lista mina servrar, hitta servern med en IP-adress.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "primary_ip": {
                            "anyOf": [
                                {
                                    "type": "string",
                                    "description": "Exact primary IP address of the VPS to find, e.g. 192.0.2.10.",
                                },
                                {"type": "null"},
                            ]
                        },
                        "limit": {
                            "anyOf": [
                                {"maximum": 100, "minimum": 1, "type": "integer", "description": "Page size, 1-100."},
                                {"type": "null"},
                            ]
                        },
                        "cursor": {
                            "anyOf": [
                                {
                                    "type": "string",
                                    "description": "nextCursor from the previous list_vps result.",
                                },
                                {"type": "null"},
                            ]
                        },
                    },
                },
                "outputSchema": {
                    "$defs": {
                        "Guidance": {
                            "properties": {
                                "summary": {"description": "What happened, in one or two sentences.", "type": "string"},
                                "nextStep": {
                                    "anyOf": [{"type": "string"}, {"type": "null"}],
                                    "description": "What to do next, when there is something to do.",
                                },
                            },
                            "required": ["summary"],
                            "type": "object",
                        },
                        "VpsSummary": {
                            "properties": {
                                "id": {"type": "string"},
                                "name": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                "primaryIp": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                "serviceStatus": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                "powerState": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                "operatingSystem": {"anyOf": [{"type": "object"}, {"type": "null"}]},
                            },
                            "required": ["id"],
                            "type": "object",
                        },
                    },
                    "properties": {
                        "data": {"items": {"$ref": "#/$defs/VpsSummary"}, "type": "array"},
                        "nextCursor": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        "guidance": {"$ref": "#/$defs/Guidance"},
                        "demo": {
                            "anyOf": [{"type": "boolean"}, {"type": "null"}],
                            "description": "true when the data comes from the built-in sandbox.",
                        },
                    },
                    "required": ["data", "guidance"],
                    "type": "object",
                },
                "annotations": {
                    "readOnlyHint": True,
                    "destructiveHint": False,
                    "idempotentHint": True,
                    "openWorldHint": True,
                },
                "_meta": {"anthropic/alwaysLoad": True},
            },
            {
                "name": "list_vps_iso_media",
                "title": "List VPS ISO media",
                "description": "Show the ISO media of one HostUp VPS: the ISO (installer) images it can boot from (available[]: id, file name, display name, sizeGb, format), which ISO is mounted in each CD/DVD slot or drive (mounted[]; isCloudInit marks the cloud-init drive), the boot order (bootOrder, null when not reported), which CD/DVD slots are free or in use (availableDevices[]), and whether mounting or uploading an ISO is allowed right now (actions.canMount / canUpload: allowed, and when blocked a reason and a code such as pending_order; check them before suggesting a mount or download). available[].id is the iso_id for mount_vps_iso and the volid for delete_vps_iso. vps_id comes from list_vps (for an IP address, call list_vps with primary_ip first). Read-only; errors carry HostUp's status, code, detail, requestId and the next step. Svenska: vilka ISO-filer som finns, vilken ISO som sitter i CD/DVD-enheten, startordningen, och om jag får ladda upp en ISO just nu.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "vps_id": {
                            "description": "Public VPS id from list_vps (data[].id), e.g. vps_01hxa3b4c5d6e7f8g9h0j1k2m3. Never an IP or hostname.",
                            "type": "string",
                        }
                    },
                    "required": ["vps_id"],
                },
                "outputSchema": {
                    "$defs": {
                        "ActionGate": {
                            "properties": {
                                "allowed": {"type": "boolean"},
                                "reason": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                "code": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                            },
                            "required": ["allowed", "reason"],
                            "type": "object",
                        },
                        "CdromSlot": {
                            "properties": {
                                "device": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                "type": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                "description": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                "inUse": {"type": "boolean"},
                            },
                            "required": ["device", "type", "description", "inUse"],
                            "type": "object",
                        },
                        "Guidance": {
                            "properties": {
                                "summary": {"description": "What happened, in one or two sentences.", "type": "string"},
                                "nextStep": {
                                    "anyOf": [{"type": "string"}, {"type": "null"}],
                                    "description": "What to do next, when there is something to do.",
                                },
                            },
                            "required": ["summary"],
                            "type": "object",
                        },
                        "IsoActions": {
                            "properties": {
                                "canMount": {"$ref": "#/$defs/ActionGate"},
                                "canUpload": {"$ref": "#/$defs/ActionGate"},
                            },
                            "required": ["canMount", "canUpload"],
                            "type": "object",
                        },
                        "IsoImage": {
                            "properties": {
                                "id": {"type": "string"},
                                "name": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                "displayName": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                "sizeGb": {"type": "number"},
                                "format": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                            },
                            "required": ["id", "name", "displayName", "sizeGb", "format"],
                            "type": "object",
                        },
                        "MountedMedia": {
                            "properties": {
                                "device": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                "isoId": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                "mounted": {"type": "boolean"},
                                "isCloudInit": {"type": "boolean"},
                            },
                            "required": ["device", "isoId", "mounted", "isCloudInit"],
                            "type": "object",
                        },
                    },
                    "properties": {
                        "available": {"items": {"$ref": "#/$defs/IsoImage"}, "type": "array"},
                        "mounted": {"items": {"$ref": "#/$defs/MountedMedia"}, "type": "array"},
                        "bootOrder": {"anyOf": [{"type": "object"}, {"type": "null"}]},
                        "availableDevices": {"items": {"$ref": "#/$defs/CdromSlot"}, "type": "array"},
                        "actions": {"$ref": "#/$defs/IsoActions"},
                        "guidance": {"$ref": "#/$defs/Guidance"},
                        "demo": {
                            "anyOf": [{"type": "boolean"}, {"type": "null"}],
                            "description": "true when the data comes from the built-in sandbox.",
                        },
                    },
                    "required": ["available", "mounted", "bootOrder", "availableDevices", "actions", "guidance"],
                    "type": "object",
                },
                "annotations": {
                    "readOnlyHint": True,
                    "destructiveHint": False,
                    "idempotentHint": True,
                    "openWorldHint": True,
                },
                "_meta": {"anthropic/alwaysLoad": True},
            },
            {
                "name": "get_job",
                "title": "Get job status",
                "description": "Follow a queued HostUp job, such as the ISO download started by download_vps_iso, until it is finished. job_id is that result's operation.jobId (job_…) or operation.pollUrl. Returns the job's state (completed, failed, running, waiting), progress and message in one line, with HostUp's job data as structured content. Poll every few seconds until it is completed or failed. Read-only. Svenska: är nedladdningen klar?",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "job_id": {
                            "description": "operation.jobId (e.g. job_01hxa3b4c5d6e7f8g9h0j1k2m3) or operation.pollUrl.",
                            "type": "string",
                        }
                    },
                    "required": ["job_id"],
                },
                "outputSchema": {
                    "$defs": {
                        "Guidance": {
                            "properties": {
                                "summary": {"description": "What happened, in one or two sentences.", "type": "string"},
                                "nextStep": {
                                    "anyOf": [{"type": "string"}, {"type": "null"}],
                                    "description": "What to do next, when there is something to do.",
                                },
                            },
                            "required": ["summary"],
                            "type": "object",
                        },
                        "Job": {
                            "properties": {
                                "jobId": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                "state": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                "status": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                "progress": {"anyOf": [{"type": "number"}, {"type": "null"}]},
                                "progressMessage": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                "isCompleted": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
                                "isFailed": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
                                "isRunning": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
                                "isWaiting": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
                            },
                            "type": "object",
                        },
                    },
                    "properties": {
                        "success": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
                        "timestamp": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        "requestId": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        "data": {"anyOf": [{"$ref": "#/$defs/Job"}, {"type": "null"}]},
                        "guidance": {"$ref": "#/$defs/Guidance"},
                        "demo": {
                            "anyOf": [{"type": "boolean"}, {"type": "null"}],
                            "description": "true when the data comes from the built-in sandbox.",
                        },
                    },
                    "required": ["guidance"],
                    "type": "object",
                },
                "annotations": {
                    "readOnlyHint": True,
                    "destructiveHint": False,
                    "idempotentHint": True,
                    "openWorldHint": True,
                },
            },
            {
                "name": "mount_vps_iso",
                "title": "Mount ISO on VPS",
                "description": "Mount (insert) an ISO image into a CD/DVD drive of a HostUp VPS, e.g. to boot an installer. vps_id comes from list_vps; iso_id is available[].id from list_vps_iso_media. device (ide0-ide3) is optional: omit it to let HostUp choose, or pass a free slot from availableDevices[]. If actions.canMount is closed, returns HostUp's reason and code without trying; if the ISO is already mounted, says where without mounting it again. Changes the VPS's CD/DVD media, not its disks; afterwards call list_vps_iso_media for the canonical state and boot order. Needs the write:vm and write:storage scopes. Svenska: montera en ISO i CD/DVD-enheten, starta VPS:en från installationen.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "vps_id": {
                            "description": "Public VPS id from list_vps (data[].id), e.g. vps_01hxa3b4c5d6e7f8g9h0j1k2m3. Never an IP or hostname.",
                            "type": "string",
                        },
                        "iso_id": {
                            "description": "ISO id from list_vps_iso_media available[].id, e.g. iso_01hxa3b4c5d6e7f8g9h0j1k2m3.",
                            "type": "string",
                        },
                        "device": {
                            "anyOf": [
                                {
                                    "enum": ["ide0", "ide1", "ide2", "ide3"],
                                    "type": "string",
                                    "description": "CD/DVD slot; omit to let HostUp choose.",
                                },
                                {"type": "null"},
                            ]
                        },
                    },
                    "required": ["vps_id", "iso_id"],
                },
                "outputSchema": {
                    "$defs": {
                        "Guidance": {
                            "properties": {
                                "summary": {"description": "What happened, in one or two sentences.", "type": "string"},
                                "nextStep": {
                                    "anyOf": [{"type": "string"}, {"type": "null"}],
                                    "description": "What to do next, when there is something to do.",
                                },
                            },
                            "required": ["summary"],
                            "type": "object",
                        }
                    },
                    "properties": {
                        "device": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        "isoId": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        "guidance": {"$ref": "#/$defs/Guidance"},
                        "demo": {
                            "anyOf": [{"type": "boolean"}, {"type": "null"}],
                            "description": "true when the data comes from the built-in sandbox.",
                        },
                    },
                    "required": ["guidance"],
                    "type": "object",
                },
                "annotations": {
                    "readOnlyHint": False,
                    "destructiveHint": False,
                    "idempotentHint": True,
                    "openWorldHint": True,
                },
            },
            {
                "name": "unmount_vps_iso",
                "title": "Unmount VPS ISO",
                "description": "Eject the ISO from a CD/DVD device of a HostUp VPS. vps_id comes from list_vps; device is mounted[].device from list_vps_iso_media (ide0-ide3), and HostUp unmounts ide2 when it is omitted. Returns the unmounted device. The ISO stays in the library (delete_vps_iso removes it). Afterwards call list_vps_iso_media for the canonical state. Needs the write:vm and write:storage scopes. Svenska: mata ut skivan ur CD/DVD-enheten.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "vps_id": {
                            "description": "Public VPS id from list_vps (data[].id), e.g. vps_01hxa3b4c5d6e7f8g9h0j1k2m3. Never an IP or hostname.",
                            "type": "string",
                        },
                        "device": {
                            "anyOf": [
                                {
                                    "enum": ["ide0", "ide1", "ide2", "ide3"],
                                    "type": "string",
                                    "description": "mounted[].device; HostUp uses ide2 when omitted.",
                                },
                                {"type": "null"},
                            ]
                        },
                    },
                    "required": ["vps_id"],
                },
                "outputSchema": {
                    "$defs": {
                        "Guidance": {
                            "properties": {
                                "summary": {"description": "What happened, in one or two sentences.", "type": "string"},
                                "nextStep": {
                                    "anyOf": [{"type": "string"}, {"type": "null"}],
                                    "description": "What to do next, when there is something to do.",
                                },
                            },
                            "required": ["summary"],
                            "type": "object",
                        }
                    },
                    "properties": {
                        "device": {"type": "string"},
                        "guidance": {"$ref": "#/$defs/Guidance"},
                        "demo": {
                            "anyOf": [{"type": "boolean"}, {"type": "null"}],
                            "description": "true when the data comes from the built-in sandbox.",
                        },
                    },
                    "required": ["device", "guidance"],
                    "type": "object",
                },
                "annotations": {
                    "readOnlyHint": False,
                    "destructiveHint": False,
                    "idempotentHint": True,
                    "openWorldHint": True,
                },
            },
            {
                "name": "download_vps_iso",
                "title": "Download ISO from URL",
                "description": "Have HostUp download an ISO image from a public URL into the VPS owner's ISO library. url must be http(s), public and not redirect; the file may be at most 20 GB. filename is the name to store it as (e.g. ubuntu-24.04-live-server-amd64.iso); decompress names the compression of a compressed file. If actions.canUpload is closed, returns HostUp's reason without trying. If the file is already there the result says so; otherwise the download is queued: follow operation.jobId with get_job, then list_vps_iso_media shows the ISO's available[].id for mount_vps_iso. Not idempotent: each call may start a download. Needs the write:vm and write:storage scopes. Svenska: ladda ner en ISO från en URL.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "vps_id": {
                            "description": "Public VPS id from list_vps (data[].id), e.g. vps_01hxa3b4c5d6e7f8g9h0j1k2m3. Never an IP or hostname.",
                            "type": "string",
                        },
                        "url": {
                            "description": "Public http(s) URL of the ISO file; must not redirect.",
                            "type": "string",
                        },
                        "filename": {
                            "description": "Name to store the file as, ending in .iso.",
                            "type": "string",
                        },
                        "decompress": {
                            "anyOf": [
                                {
                                    "enum": ["none", "gzip", "lzo", "zstd", "bzip2"],
                                    "type": "string",
                                    "description": "Compression of the downloaded file, if any.",
                                },
                                {"type": "null"},
                            ]
                        },
                    },
                    "required": ["vps_id", "url", "filename"],
                },
                "outputSchema": {
                    "$defs": {
                        "Guidance": {
                            "properties": {
                                "summary": {"description": "What happened, in one or two sentences.", "type": "string"},
                                "nextStep": {
                                    "anyOf": [{"type": "string"}, {"type": "null"}],
                                    "description": "What to do next, when there is something to do.",
                                },
                            },
                            "required": ["summary"],
                            "type": "object",
                        },
                        "Operation": {
                            "properties": {
                                "status": {"type": "string"},
                                "jobId": {"type": "string"},
                                "pollUrl": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                "result": {
                                    "anyOf": [{"additionalProperties": True, "type": "object"}, {"type": "null"}]
                                },
                            },
                            "required": ["status", "jobId"],
                            "type": "object",
                        },
                    },
                    "properties": {
                        "operation": {"$ref": "#/$defs/Operation"},
                        "guidance": {"$ref": "#/$defs/Guidance"},
                        "demo": {
                            "anyOf": [{"type": "boolean"}, {"type": "null"}],
                            "description": "true when the data comes from the built-in sandbox.",
                        },
                    },
                    "required": ["operation", "guidance"],
                    "type": "object",
                },
                "annotations": {
                    "readOnlyHint": False,
                    "destructiveHint": False,
                    "idempotentHint": False,
                    "openWorldHint": True,
                },
            },
            {
                "name": "delete_vps_iso",
                "title": "Delete VPS ISO media",
                "description": "Permanently delete (remove) an ISO image the user owns from their HostUp ISO library. volid is available[].id from list_vps_iso_media. When the client can show the user a form, the user is always asked there, and confirm is ignored. Otherwise nothing is deleted without confirm=true: the result is a preview (which ISO, its name and size, whether it is mounted) to show the user; call again with confirm=true only after the user agrees. If a form gets no answer or is dismissed, nothing is deleted and the result says how to pass on the user's yes given in chat. Cannot be undone. Needs the write:vm and write:storage scopes. Svenska: ta bort eller radera ISO-filen permanent.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "vps_id": {
                            "description": "Public VPS id from list_vps (data[].id), e.g. vps_01hxa3b4c5d6e7f8g9h0j1k2m3. Never an IP or hostname.",
                            "type": "string",
                        },
                        "volid": {
                            "description": "available[].id of the ISO to delete, from list_vps_iso_media.",
                            "type": "string",
                        },
                        "confirm": {
                            "default": False,
                            "description": "true only after the user agreed; ignored when the client can ask the user itself.",
                            "type": "boolean",
                        },
                        "chat_confirmation": {
                            "anyOf": [
                                {
                                    "description": "Only after a form went unanswered: the chat_confirmation that result gave, passed with confirm=true once the user said yes in the chat.",
                                    "type": "string",
                                },
                                {"type": "null"},
                            ]
                        },
                    },
                    "required": ["vps_id", "volid"],
                },
                "outputSchema": {
                    "$defs": {
                        "Guidance": {
                            "properties": {
                                "summary": {"description": "What happened, in one or two sentences.", "type": "string"},
                                "nextStep": {
                                    "anyOf": [{"type": "string"}, {"type": "null"}],
                                    "description": "What to do next, when there is something to do.",
                                },
                            },
                            "required": ["summary"],
                            "type": "object",
                        },
                        "IsoImage": {
                            "properties": {
                                "id": {"type": "string"},
                                "name": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                "displayName": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                "sizeGb": {"type": "number"},
                                "format": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                            },
                            "required": ["id", "name", "displayName", "sizeGb", "format"],
                            "type": "object",
                        },
                    },
                    "properties": {
                        "deleted": {"type": "boolean"},
                        "volid": {"type": "string"},
                        "iso": {"anyOf": [{"$ref": "#/$defs/IsoImage"}, {"type": "null"}]},
                        "mountedIn": {
                            "anyOf": [
                                {"items": {"anyOf": [{"type": "string"}, {"type": "null"}]}, "type": "array"},
                                {"type": "null"},
                            ]
                        },
                        "response": {"anyOf": [{"additionalProperties": True, "type": "object"}, {"type": "null"}]},
                        "chatConfirmation": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        "guidance": {"$ref": "#/$defs/Guidance"},
                        "demo": {
                            "anyOf": [{"type": "boolean"}, {"type": "null"}],
                            "description": "true when the data comes from the built-in sandbox.",
                        },
                    },
                    "required": ["deleted", "volid", "iso", "mountedIn", "guidance"],
                    "type": "object",
                },
                "annotations": {
                    "readOnlyHint": False,
                    "destructiveHint": True,
                    "idempotentHint": True,
                    "openWorldHint": True,
                },
            },
        ]
    )


async def test_every_tool_has_a_title_and_all_four_annotations():
    for tool in await listed_tools():
        assert tool.get("title"), tool["name"]
        annotations = tool.get("annotations", {})
        for hint in ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"):
            assert isinstance(annotations.get(hint), bool), f"{tool['name']} lacks {hint}"


async def test_manifest_lists_the_live_tools():
    manifest = json.loads((ROOT / "manifest.json").read_text())

    assert [tool["name"] for tool in manifest["tools"]] == [tool["name"] for tool in await listed_tools()]


def test_manifest_passes_the_key_only_as_a_sensitive_user_setting():
    manifest = json.loads((ROOT / "manifest.json").read_text())

    assert manifest["user_config"]["api_key"]["sensitive"] is True
    assert manifest["user_config"]["api_key"]["required"] is False  # Demo mode needs no key
    assert manifest["server"]["mcp_config"]["env"]["HOSTUP_API_KEY"] == "${user_config.api_key}"


def test_manifest_is_valid_for_mcpb():
    result = subprocess.run(
        [node_bin("mcpb"), "validate", str(ROOT / "manifest.json")], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "validation passes" in result.stdout
