"""Which HostUp key a tool call uses: the server's, or in per-user mode (HTTP) the caller's own."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context

from hostup_mcp.config import Config, parse_bearer
from hostup_mcp.hostup.client import HostUpClient


def hostup_client(ctx: Context[HostUpClient, Any], config: Config) -> HostUpClient:
    """The client for this call. In per-user mode the key is read from this request's own
    `Authorization: Bearer` header every time: never stored, never shared with another request."""
    shared = ctx.request_context.lifespan_context
    if config.key_source == "server":
        return shared
    headers = getattr(ctx.request_context.request, "headers", None)
    return shared.with_key(parse_bearer(headers.get("authorization") if headers is not None else None))
