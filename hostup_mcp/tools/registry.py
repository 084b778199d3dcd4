"""Registering tools with the safety model in one place: writes exist only when enabled, and every
failure before a tool body runs (bad arguments, an unanswerable question to the user) is explained."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations
from pydantic import Field, ValidationError

from hostup_mcp.config import Config
from hostup_mcp.hostup.client import call_deadline
from hostup_mcp.hostup.problems import Problem, synthesized
from hostup_mcp.tools.advice import Call
from hostup_mcp.tools.arguments import explain
from hostup_mcp.tools.results import refusal_result

logger = logging.getLogger(__name__)

FunctionT = TypeVar("FunctionT", bound=Callable[..., Any])
NO_SCOPES = Call(scopes=())


class GuardedTool(Tool):
    """An SDK tool whose argument errors read like our other errors.

    The SDK would answer bad arguments with pydantic's text (and a library URL), and a confirmation
    answer that does not fit its form with the resolver's module path; here both become problems.
    """

    config: Config | None = Field(default=None, exclude=True)

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        assert self.config is not None
        try:
            self.fn_metadata.validate_arguments(arguments)
        except ValidationError as error:
            accepted = list(self.parameters.get("properties", {}))
            logger.info("tool %s rejected arguments: %s", self.name, sorted({str(e["loc"][0]) for e in error.errors()}))
            return refusal_result(self.config, explain(self.name, error, arguments, accepted), NO_SCOPES)
        try:
            with call_deadline(self.config.timeout_seconds):  # one budget for every HostUp request of the call
                return await super().run(arguments, context, convert_result)
        except UnexpectedToolError:
            raise
        except ToolError:
            # Our tool bodies return their errors; a ToolError can only come from the SDK asking the user.
            logger.info("tool %s: the answer to its question could not be used", self.name)
            return refusal_result(self.config, unusable_answer(), NO_SCOPES)


def unusable_answer() -> Problem:
    return synthesized(
        "unusable_answer",
        "The answer to the confirmation could not be used",
        "The client's reply to the confirmation form did not fit the form, so it was not taken as a yes. "
        "Nothing was changed.",
    )


class ToolRegistry:
    """`@tools.tool(...)` like MCPServer's, but a tool whose read-only annotation is not true is only
    registered when writes are enabled. The annotations are the single source: there is no second list."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.tools: list[Tool] = []

    def tool(
        self, *, name: str, title: str, description: str, annotations: ToolAnnotations
    ) -> Callable[[FunctionT], FunctionT]:
        def register(function: FunctionT) -> FunctionT:
            if annotations.read_only_hint is True or self.config.enable_writes:
                tool = GuardedTool.from_function(
                    function, name=name, title=title, description=description, annotations=annotations
                )
                assert isinstance(tool, GuardedTool)  # from_function builds `cls`, though typed as Tool
                tool.config = self.config
                self.tools.append(tool)
            return function

        return register
