"""What the model reads in tools/list, pinned; and the documents that must agree with it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from inline_snapshot import snapshot
from mcp import Client

from hostup_mcp import __version__
from hostup_mcp.config import Config
from hostup_mcp.server import build_server

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.anyio


async def listed_tools() -> list[dict[str, Any]]:
    async with Client(build_server(Config(api_key=None))) as client:
        tools = (await client.list_tools()).tools
    return [tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in tools]


async def test_tools_list_entry_is_exactly_as_reviewed():
    assert await listed_tools() == snapshot(
        [
            {
                "name": "list_vps_iso_media",
                "title": "List VPS ISO media",
                "description": """\
Show the ISO media of one HostUp VPS: the ISO images it can boot from, what is in each CD/DVD device, the boot order, the CD/DVD slots and whether each is in use, and whether mounting or uploading an ISO is allowed right now.

Returns HostUp's GET /api/v2/vps/{id}/iso as structured content:
- available[]: id, name (file), displayName, sizeGb, format. available[].id is the isoId for mounting an ISO and the {volid} for deleting owned ISO media.
- mounted[]: device (e.g. ide2), isoId, mounted, isCloudInit (the cloud-init drive, not an installer).
- bootOrder: order of device ids (first boots first), their names, bootable devices; null when not reported.
- availableDevices[]: CD/DVD slots (device, type, description, inUse).
- actions.canMount / actions.canUpload: gates. allowed=false means the action is blocked now; reason says why and code is a machine-readable cause (e.g. pending_order). Check them before suggesting a mount or upload.

vps_id must be the exact public id (vps_…) from HostUp's GET /api/v2/vps data[].id; do not pass an IP address, hostname or name. Read-only. Errors return HostUp's problem (status, code, detail, requestId) and the next step to tell the user.\
""",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "vps_id": {
                            "description": "Public VPS id from HostUp's GET /api/v2/vps data[].id, e.g. vps_01hxa3b4c5d6e7f8g9h0j1k2m3.",
                            "maxLength": 68,
                            "pattern": "^vps_[A-Za-z0-9]{1,64}$",
                            "title": "Vps Id",
                            "type": "string",
                        }
                    },
                    "required": ["vps_id"],
                    "title": "list_vps_iso_mediaArguments",
                },
                "outputSchema": {
                    "$defs": {
                        "ActionGate": {
                            "properties": {
                                "allowed": {"type": "boolean"},
                                "reason": {"type": ["string", "null"]},
                                "code": {"type": ["string", "null"]},
                            },
                            "required": ["allowed", "reason"],
                            "type": "object",
                        },
                        "BootDevice": {
                            "properties": {
                                "id": {"type": ["string", "null"]},
                                "name": {"type": ["string", "null"]},
                                "type": {"type": ["string", "null"]},
                            },
                            "type": "object",
                        },
                        "BootOrder": {
                            "properties": {
                                "order": {"anyOf": [{"items": {"type": "string"}, "type": "array"}, {"type": "null"}]},
                                "devices": {
                                    "anyOf": [
                                        {"additionalProperties": {"type": "string"}, "type": "object"},
                                        {"type": "null"},
                                    ]
                                },
                                "availableDevices": {
                                    "anyOf": [
                                        {"items": {"$ref": "#/$defs/BootDevice"}, "type": "array"},
                                        {"type": "null"},
                                    ]
                                },
                            },
                            "type": "object",
                        },
                        "CdromSlot": {
                            "properties": {
                                "device": {"type": ["string", "null"]},
                                "type": {"type": ["string", "null"]},
                                "description": {"type": ["string", "null"]},
                                "inUse": {"type": "boolean"},
                            },
                            "required": ["device", "type", "description", "inUse"],
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
                                "name": {"type": ["string", "null"]},
                                "displayName": {"type": ["string", "null"]},
                                "sizeGb": {"type": "number"},
                                "format": {"type": ["string", "null"]},
                            },
                            "required": ["id", "name", "displayName", "sizeGb", "format"],
                            "type": "object",
                        },
                        "MountedMedia": {
                            "properties": {
                                "device": {"type": ["string", "null"]},
                                "isoId": {"type": ["string", "null"]},
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
                        "bootOrder": {"anyOf": [{"$ref": "#/$defs/BootOrder"}, {"type": "null"}]},
                        "availableDevices": {"items": {"$ref": "#/$defs/CdromSlot"}, "type": "array"},
                        "actions": {"$ref": "#/$defs/IsoActions"},
                    },
                    "required": ["available", "mounted", "bootOrder", "availableDevices", "actions"],
                    "type": "object",
                },
                "annotations": {
                    "readOnlyHint": True,
                    "destructiveHint": False,
                    "idempotentHint": True,
                    "openWorldHint": True,
                },
            }
        ]
    )


async def test_every_tool_has_a_title_and_all_four_annotations():
    for tool in await listed_tools():
        assert tool.get("title"), tool["name"]
        annotations = tool.get("annotations", {})
        for hint in ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"):
            assert isinstance(annotations.get(hint), bool), f"{tool['name']} lacks {hint}"


async def test_manifest_lists_the_live_tools_and_the_package_version():
    manifest = json.loads((ROOT / "manifest.json").read_text())
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())

    assert manifest["version"] == pyproject["project"]["version"] == __version__
    assert [tool["name"] for tool in manifest["tools"]] == [tool["name"] for tool in await listed_tools()]


def test_manifest_passes_the_key_only_as_a_sensitive_user_setting():
    manifest = json.loads((ROOT / "manifest.json").read_text())

    assert manifest["user_config"]["api_key"]["sensitive"] is True
    assert manifest["server"]["mcp_config"]["env"]["HOSTUP_API_KEY"] == "${user_config.api_key}"


def test_manifest_is_valid_for_mcpb():
    mcpb = shutil.which("mcpb")
    if mcpb is None:
        if os.environ.get("HOSTUP_REQUIRE_MCPB"):
            pytest.fail("mcpb is required here (HOSTUP_REQUIRE_MCPB) but not on PATH")
        pytest.skip("mcpb (npm @anthropic-ai/mcpb) is not installed")

    result = subprocess.run(
        [mcpb, "validate", str(ROOT / "manifest.json")], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "validation passes" in result.stdout
