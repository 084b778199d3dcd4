"""build_server(): the MCP server, its tool surface and the HostUp client it owns."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from mcp.server.mcpserver import MCPServer
from mcp.server.request_state import RequestStateSecurity

from hostup_mcp import __version__
from hostup_mcp.config import Config
from hostup_mcp.hostup.client import HostUpClient
from hostup_mcp.hostup.retry import RetryPolicy
from hostup_mcp.tools.read import register_read_tools
from hostup_mcp.tools.registry import ToolRegistry
from hostup_mcp.tools.results import DEMO_NOTICE
from hostup_mcp.tools.view import apps_extension, only_for_view_hosts
from hostup_mcp.tools.write import register_write_tools

# How long a question's sealed state (the delete form, 2026-07-28 era) stays good: time for a person to
# answer a yes-or-no form, and no longer, since a recorded yes could be sent again until then.
QUESTION_SECONDS = 120.0

INSTRUCTIONS = (
    "Reads the ISO media of the user's HostUp VPS. Get VPS ids (vps_…) from list_vps, never guess them. "
    "Errors carry HostUp's problem details and a next step to relay."
)
WRITE_INSTRUCTIONS = (
    " Write tools change a customer's production VPS: act only on the user's request, and delete only "
    "after the user confirms."
)


def build_server(
    config: Config,
    transport: httpx.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
    state_security: RequestStateSecurity | None = None,
    auth: dict[str, Any] | None = None,
) -> MCPServer[HostUpClient]:
    """The server; `transport` and `retry` let tests put a fake HostUp and short waits behind it.
    `state_security` seals the state of question round trips (HTTP sets it; the default is per process).
    `auth` is OAuth mode's SDK options (its settings and authorization server)."""

    @asynccontextmanager
    async def lifespan(_server: MCPServer[HostUpClient]) -> AsyncIterator[HostUpClient]:
        async with HostUpClient.connect(config, transport=transport, retry=retry) as client:
            yield client

    tools = ToolRegistry(config)
    register_read_tools(tools, config)
    register_write_tools(tools, config)
    instructions = INSTRUCTIONS + (WRITE_INSTRUCTIONS if config.enable_writes else "")
    return MCPServer(
        "hostup-mcp",
        title="HostUp VPS ISO media",
        version=__version__,
        instructions=f"{DEMO_NOTICE} {instructions}" if config.demo else instructions,
        lifespan=lifespan,
        log_level=config.log_level,  # type: ignore[arg-type]  # validated against the same names
        tools=tools.tools,
        request_state_security=state_security or RequestStateSecurity.ephemeral(ttl=QUESTION_SECONDS),
        extensions=[apps_extension()] if config.ui else [],
        middleware=[only_for_view_hosts] if config.ui else [],
        **(auth or {}),
    )
