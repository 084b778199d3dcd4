"""build_server(): the MCP server, its tool surface and the HostUp client it owns."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from hostup_mcp import __version__
from hostup_mcp.client import HostUpClient
from hostup_mcp.config import Config
from hostup_mcp.ids import VPS_ID_EXAMPLE, VPS_ID_MAX_LENGTH, VPS_ID_PATTERN
from hostup_mcp.models import VpsIsoMedia
from hostup_mcp.problems import HostUpError
from hostup_mcp.render import Operation, render_iso_media, render_problem
from hostup_mcp.retry import RetryPolicy

DEMO_NOTICE = "DEMO DATA from the hostup-mcp sandbox (--demo), not the user's real HostUp servers."
INSTRUCTIONS = (
    "Reads the ISO media of the user's HostUp VPS. VPS ids have the form vps_… and come from HostUp's "
    "GET /api/v2/vps; never guess them. Errors carry HostUp's problem details and a next step to relay."
)

LIST_VPS_ISO_MEDIA_DESCRIPTION = """\
Show the ISO media of one HostUp VPS: the ISO images it can boot from, what is in each CD/DVD device, the boot \
order, the CD/DVD slots and whether each is in use, and whether mounting or uploading an ISO is allowed right now.

Returns HostUp's GET /api/v2/vps/{id}/iso as structured content:
- available[]: id, name (file), displayName, sizeGb, format. available[].id is the isoId for mounting an ISO \
and the {volid} for deleting owned ISO media.
- mounted[]: device (e.g. ide2), isoId, mounted, isCloudInit (the cloud-init drive, not an installer).
- bootOrder: order of device ids (first boots first), their names, bootable devices; null when not reported.
- availableDevices[]: CD/DVD slots (device, type, description, inUse).
- actions.canMount / actions.canUpload: gates. allowed=false means the action is blocked now; reason says why \
and code is a machine-readable cause (e.g. pending_order). Check them before suggesting a mount or upload.

vps_id must be the exact public id (vps_…) from HostUp's GET /api/v2/vps data[].id; do not pass an IP \
address, hostname or name. Read-only. Errors return HostUp's problem (status, code, detail, requestId) and \
the next step to tell the user."""

VpsId = Annotated[
    str,
    Field(
        description=f"Public VPS id from HostUp's GET /api/v2/vps data[].id, e.g. {VPS_ID_EXAMPLE}.",
        # Advertised for clients, enforced in check_vps_id so the model gets a useful message, not pydantic's.
        json_schema_extra={"pattern": VPS_ID_PATTERN, "maxLength": VPS_ID_MAX_LENGTH},
    ),
]


def build_server(
    config: Config,
    transport: httpx.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
) -> MCPServer[HostUpClient]:
    """The server; `transport` and `retry` let tests put a fake HostUp and short waits behind it."""

    @asynccontextmanager
    async def lifespan(_server: MCPServer[HostUpClient]) -> AsyncIterator[HostUpClient]:
        async with HostUpClient.connect(config, transport=transport, retry=retry) as client:
            yield client

    server: MCPServer[HostUpClient] = MCPServer(
        "hostup-mcp",
        title="HostUp VPS ISO media",
        version=__version__,
        instructions=DEMO_NOTICE + " " + INSTRUCTIONS if config.demo else INSTRUCTIONS,
        lifespan=lifespan,
        log_level=config.log_level,  # type: ignore[arg-type]  # validated against the same names
    )

    @server.tool(
        name="list_vps_iso_media",
        title="List VPS ISO media",
        description=LIST_VPS_ISO_MEDIA_DESCRIPTION,
        annotations=ToolAnnotations(
            read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
        ),
    )
    async def list_vps_iso_media(vps_id: VpsId, ctx: Context[HostUpClient]) -> Annotated[CallToolResult, VpsIsoMedia]:
        client = ctx.request_context.lifespan_context
        operation = Operation(scope="read:vm", vps_id=vps_id)
        try:
            media = await client.get_vps_iso_media(vps_id)
        except HostUpError as exc:
            return outcome(render_problem(exc.problem, operation), exc.problem.to_structured(), config, error=True)
        return outcome(render_iso_media(media), media.model_dump(mode="json", exclude_unset=True), config)

    return server


def outcome(text: str, structured: dict[str, Any], config: Config, *, error: bool = False) -> CallToolResult:
    """A tool result; in demo mode both the text and the structured content say it is sandbox data."""
    if config.demo:
        text = f"{DEMO_NOTICE}\n{text}"
        structured = {**structured, "demo": True}
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured, is_error=error)
