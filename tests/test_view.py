"""The MCP Apps view: declared to hosts that render views, invisible to every other host, self-contained."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID

from hostup_mcp.config import Config
from hostup_mcp.hostup.sandbox import EXAMPLE_VPS_ID
from hostup_mcp.server import build_server
from hostup_mcp.tools.view import VIEW_META_KEY, VIEW_URI, view_html
from tests.other_clients import NODE_MODULES, require, run_inspector
from tests.stdio_session import console_script

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parent.parent
APPS = advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})


async def seen_by(*, apps: bool, ui: bool = True, mode: str = "auto", writes: bool = True) -> dict[str, Any]:
    config = Config(api_key=None, enable_writes=writes, ui=ui).as_demo()
    async with Client(build_server(config), mode=mode, extensions=[APPS] if apps else []) as client:
        tools = [
            tool.model_dump(by_alias=True, mode="json", exclude_none=True) for tool in (await client.list_tools()).tools
        ]
        resources = [resource.uri for resource in (await client.list_resources()).resources]
        result = await client.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})
    return {"tools": tools, "resources": resources, "result": result.model_dump(by_alias=True, mode="json")}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_host_without_the_extension_sees_exactly_what_it_saw_before_the_view(mode: str):
    assert await seen_by(apps=False, mode=mode) == await seen_by(apps=False, ui=False, mode=mode)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_host_with_the_extension_gets_the_view_and_the_same_text(mode: str):
    with_view = await seen_by(apps=True, mode=mode)
    without = await seen_by(apps=False, mode=mode)

    tool = next(tool for tool in with_view["tools"] if tool["name"] == "list_vps_iso_media")
    assert tool["_meta"]["ui"] == {"resourceUri": VIEW_URI}
    assert [t for t in with_view["tools"] if "ui" in t.get("_meta", {})] == [tool]  # only this tool has a view
    assert with_view["resources"] == [VIEW_URI]
    assert with_view["result"]["_meta"][VIEW_META_KEY] == {"writes": True}
    assert with_view["result"]["content"] == without["result"]["content"]  # the model reads the same text
    assert with_view["result"]["structuredContent"] == without["result"]["structuredContent"]


async def test_the_view_knows_when_writes_are_off():
    assert (await seen_by(apps=True, writes=False))["result"]["_meta"][VIEW_META_KEY] == {"writes": False}


async def test_hostup_ui_0_turns_the_view_off_for_every_host():
    seen = await seen_by(apps=True, ui=False)

    assert all("ui" not in tool.get("_meta", {}) for tool in seen["tools"])
    assert seen["resources"] == []
    assert VIEW_META_KEY not in (seen["result"].get("_meta") or {})
    assert Config.from_env({"HOSTUP_UI": "0"}).ui is False
    assert Config.from_env({}).ui is True


async def test_the_view_resource_is_an_mcp_app_that_loads_nothing():
    async with Client(build_server(Config(api_key=None).as_demo()), extensions=[APPS]) as client:
        (content,) = (await client.read_resource(VIEW_URI)).contents

    assert content.mime_type == APP_MIME_TYPE
    assert content.meta == {"ui": {"csp": {}, "prefersBorder": True}}
    assert content.text == view_html()


OWN_SCRIPT = view_html().rsplit('<script type="module">', 1)[1]


def test_the_view_is_one_self_contained_document():
    html = view_html()

    assert re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html) is None
    assert "<link" not in html and "@import" not in html and "url(" not in html.split("<script")[0]
    assert "100vh" not in html and "height: 100%" not in html  # sized to its content
    assert len(html.encode()) < 600_000  # the App class with its dependencies is ~540 KB of it
    assert "@modelcontextprotocol/ext-apps 2.0.4" in html and "Permission is hereby granted" in html


@pytest.mark.parametrize(
    "construct", ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function("]
)
def test_the_views_own_code_never_turns_data_into_html_or_code(construct: str):
    assert construct not in OWN_SCRIPT


def test_the_built_view_is_what_the_build_script_makes_from_the_pinned_app_class():
    require("@modelcontextprotocol/ext-apps", (NODE_MODULES / "@modelcontextprotocol" / "ext-apps").exists())
    built = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_view.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert built.returncode == 0, built.stderr


@pytest.mark.parametrize("advertise_apps", [True, False])
def test_mcp_inspector_finds_the_view_only_when_it_says_it_renders_views(advertise_apps: bool):
    flags = ["--advertise-apps"] if advertise_apps else []
    probed = run_inspector([console_script()], "--method", "tools/list", "--app-info", *flags, env={"HOSTUP_DEMO": "1"})

    apps = {line["toolName"]: line for line in map(json.loads, probed.stdout.splitlines())}
    assert probed.returncode == 0, probed.stderr
    assert [name for name, line in apps.items() if line["hasApp"]] == (["list_vps_iso_media"] if advertise_apps else [])
    if advertise_apps:
        assert apps["list_vps_iso_media"]["resourceUri"] == VIEW_URI
        assert apps["list_vps_iso_media"]["resourceMimeType"] == APP_MIME_TYPE
