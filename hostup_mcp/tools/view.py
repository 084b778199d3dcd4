"""The MCP Apps view of list_vps_iso_media: a picture of a VPS's ISO media for hosts that render views.

The view is one self-contained HTML file next to this module (built by scripts/build_view.py). Hosts
that negotiated the extension (`io.modelcontextprotocol/ui`) see the tool's `_meta.ui.resourceUri`, the
view resource, and whether writes are enabled (so the view offers Mount and Eject); every other host
sees exactly what it saw before: the same tools/list, the same results, no view resource listed.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from mcp.server.apps import Apps, ResourceCsp, client_supports_apps
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context

VIEW_URI = "ui://hostup-mcp/iso-media.html"
VIEW_META_KEY = "io.github.hostup-mcp/view"  # on list_vps_iso_media results, for the view only
TOOL_META = {"ui": {"resourceUri": VIEW_URI}}


@cache
def view_html() -> str:
    return files("hostup_mcp.tools").joinpath("iso_media_view.html").read_text(encoding="utf-8")


def apps_extension() -> Apps:
    apps = Apps()
    apps.add_html_resource(
        VIEW_URI,
        view_html(),
        name="iso_media_view",
        title="VPS ISO media",
        description="ISO images, CD/DVD slots, boot order and mount/upload gates of one HostUp VPS.",
        csp=ResourceCsp(),  # it loads nothing: the host's strictest policy is enough
        prefers_border=True,
    )
    return apps


def result_meta(ctx: Context[Any, Any], *, writes: bool) -> dict[str, Any] | None:
    """What the view needs beside the result (may it offer Mount and Eject?); nothing for other hosts."""
    return {VIEW_META_KEY: {"writes": writes}} if client_supports_apps(ctx) else None


async def only_for_view_hosts(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
    """Server middleware: a host that did not negotiate MCP Apps gets tools/list and resources/list as
    they were before the view existed (no `_meta.ui`, no `ui://` resource)."""
    result = await call_next(ctx)
    if ctx.method not in ("tools/list", "resources/list") or not isinstance(result, dict) or client_supports_apps(ctx):
        return result
    if ctx.method == "tools/list":
        for tool in result.get("tools", []):
            meta = tool.get("_meta")
            if isinstance(meta, dict) and meta.pop("ui", None) is not None and not meta:
                del tool["_meta"]
    else:
        result["resources"] = [item for item in result.get("resources", []) if not item["uri"].startswith("ui://")]
    return result
