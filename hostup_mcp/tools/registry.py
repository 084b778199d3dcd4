"""Registering tools with the safety model in one place: writes exist only when enabled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

FunctionT = TypeVar("FunctionT", bound=Callable[..., Any])


class ToolRegistry:
    """`@tools.tool(...)` like MCPServer's, but a tool whose read-only annotation is not true is only
    registered when writes are enabled. The annotations are the single source: there is no second list."""

    def __init__(self, server: MCPServer[Any], *, enable_writes: bool) -> None:
        self.server = server
        self.enable_writes = enable_writes

    def tool(
        self, *, name: str, title: str, description: str, annotations: ToolAnnotations
    ) -> Callable[[FunctionT], FunctionT]:
        def register(function: FunctionT) -> FunctionT:
            if annotations.read_only_hint is True or self.enable_writes:
                self.server.add_tool(function, name=name, title=title, description=description, annotations=annotations)
            return function

        return register
