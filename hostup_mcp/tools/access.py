"""Which HostUp key a tool call uses: the server's, in per-user mode (HTTP) the caller's own, and in OAuth mode
the one sealed inside the caller's access token."""

from __future__ import annotations

from typing import Any

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver import Context
from pydantic import SecretStr

from hostup_mcp.config import Config, parse_bearer
from hostup_mcp.hostup.client import HostUpClient


def hostup_client(ctx: Context[HostUpClient, Any], config: Config) -> HostUpClient:
    """The client for this call. In per-user mode the key is read from this request's own
    `Authorization: Bearer` header every time: never stored, never shared with another request."""
    shared = ctx.request_context.lifespan_context
    if config.key_source == "server":
        return shared
    if config.key_source == "oauth":
        return shared.with_key(token_key())
    headers = getattr(ctx.request_context.request, "headers", None)
    return shared.with_key(parse_bearer(headers.get("authorization") if headers is not None else None))


def token_key() -> SecretStr | None:
    """The HostUp key of this request's verified access token (the SDK checked it before the call ran)."""
    key = getattr(get_access_token(), "hostup_key", None)
    return key if isinstance(key, SecretStr) else None
