"""Checking tool results the way strict clients do (the TypeScript SDK, MCP Inspector).

They validate `structuredContent` against the tool's outputSchema on every result, errors included,
and refuse a non-error result without it. The Python SDK checks neither, so the suite does.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import anyio
from jsonschema import Draft202012Validator
from mcp import Client


def assert_fits_output_schema(tool: str, result: dict[str, Any], schema: dict[str, Any] | None) -> None:
    """`result` is a tools/call result in wire form (camelCase keys)."""
    if schema is None:
        return
    structured = result.get("structuredContent")
    if structured is None:
        assert result.get("isError"), f"{tool}: a successful result without structuredContent, but it has a schema"
        return
    errors = sorted(Draft202012Validator(schema).iter_errors(structured), key=lambda error: list(error.path))
    assert not errors, f"{tool}: structuredContent does not fit its outputSchema: " + "; ".join(
        f"{'/'.join(map(str, error.path)) or '(root)'}: {error.message}" for error in errors[:5]
    )


@cache
def advertised_output_schemas() -> dict[str, dict[str, Any] | None]:
    """Every tool's outputSchema as the server advertises it with all tools enabled (schemas do not vary
    with the configuration); for tests that speak raw JSON-RPC."""
    from hostup_mcp.config import Config
    from hostup_mcp.server import build_server

    async def listed() -> dict[str, dict[str, Any] | None]:
        async with Client(build_server(Config(api_key=None, enable_writes=True))) as client:
            return {tool.name: tool.output_schema for tool in (await client.list_tools()).tools}

    return anyio.run(listed)
