"""Registering tools with the safety model in one place: writes exist only when enabled, and every
failure before a tool body runs (bad arguments, an unanswerable question to the user) is explained."""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from mcp.types import ToolAnnotations
from pydantic import ConfigDict, Field, ValidationError

from hostup_mcp.config import Config
from hostup_mcp.hostup.client import call_deadline
from hostup_mcp.hostup.problems import Problem, synthesized
from hostup_mcp.tools.advice import Call
from hostup_mcp.tools.arguments import explain, portable
from hostup_mcp.tools.results import refusal_result
from hostup_mcp.tools.text import clean

logger = logging.getLogger(__name__)

FunctionT = TypeVar("FunctionT", bound=Callable[..., Any])
CALLER_SHARE = 4  # one caller may hold at most 1/CALLER_SHARE of the slots


class UnusableAnswerError(ToolError):
    """A confirmation answer that does not fit its form (raised by a resolver that asked itself)."""


def about_the_answer(error: ToolError) -> bool:
    """Whether a ToolError is about a confirmation answer: ours, or the SDK's resolver (whose messages read
    "[Error executing tool …: ]Resolver '…': …"). Any other is the SDK refusing the call for its own reasons."""
    ours = isinstance(error, UnusableAnswerError) or isinstance(
        error.__cause__, UnusableAnswerError
    )  # the SDK re-raises
    return ours or re.search(r"(?:^|: )Resolver '", str(error)) is not None


NO_SCOPES = Call(scopes=())


class CallLimit:
    """Tool calls in flight in this process; past the limit a call is answered "busy", not queued.

    No caller (one Authorization credential) may hold more than a quarter of the slots, so one key (a
    rate-limited one is the cheapest: its retries wait inside a slot) cannot make the server busy for
    everyone else."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.in_flight = 0
        self.by_caller: Counter[str] = Counter()

    @property
    def per_caller(self) -> int | None:
        return None if self.limit is None else max(1, self.limit // CALLER_SHARE)

    def refuses(self, caller: str) -> bool:
        if self.limit is None:
            return False
        return self.in_flight >= self.limit or self.by_caller[caller] >= (self.per_caller or 0)

    @contextmanager
    def held(self, caller: str) -> Iterator[None]:
        self.in_flight += 1
        self.by_caller[caller] += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            self.by_caller[caller] -= 1
            if not self.by_caller[caller]:
                del self.by_caller[caller]


def caller_of(context: Any) -> str:
    """Who a call is for, as far as the slots go: a digest of its Authorization header ("" without one)."""
    request = getattr(getattr(context, "request_context", None), "request", None)
    headers = getattr(request, "headers", None)
    credential = headers.get("authorization", "") if headers is not None else ""
    return hashlib.sha256(credential.encode()).hexdigest() if credential else ""


class LiteralArguments(FuncMetadata):
    """Arguments validated as they were sent. The SDK would first JSON-decode any string given for a field
    that is not plain `str` (Claude Desktop sends lists as JSON text): for our optional strings that turns
    a cursor "null" into no cursor, the first page instead of the one asked for. No argument here is a
    list or an object, so that decoding could only ever change a value."""

    def pre_parse_json(self, data: dict[str, Any]) -> dict[str, Any]:
        return dict(data)


@dataclass(frozen=True, slots=True)
class Guard:
    config: Config
    calls: CallLimit


class GuardedTool(Tool):
    """An SDK tool whose argument errors read like our other errors, under the process's call limit.

    The SDK would answer bad arguments with pydantic's text (and a library URL), and a confirmation
    answer that does not fit its form with the resolver's module path; here both become problems.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)  # for Guard, which pydantic need not validate

    guard: Guard | None = Field(default=None, exclude=True)  # set right after from_function() by ToolRegistry

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        assert self.guard is not None
        calls = self.guard.calls
        caller = caller_of(context)
        if calls.refuses(caller):
            logger.warning("tool %s refused: %d calls already in flight", self.name, calls.in_flight)
            return refusal_result(self.guard.config, busy(calls.in_flight, calls.by_caller[caller]), NO_SCOPES)
        with calls.held(caller):
            return await self.run_guarded(self.guard.config, arguments, context, convert_result)

    async def run_guarded(self, config: Config, arguments: dict[str, Any], context: Any, convert_result: bool) -> Any:
        try:
            self.fn_metadata.validate_arguments(arguments)
        except ValidationError as error:
            accepted = list(self.parameters.get("properties", {}))
            logger.info("tool %s rejected arguments: %s", self.name, sorted({str(e["loc"][0]) for e in error.errors()}))
            return refusal_result(config, explain(self.name, error, arguments, accepted), NO_SCOPES)
        try:
            with call_deadline(config.timeout_seconds):  # one budget for every HostUp request of the call
                return await super().run(arguments, context, convert_result)
        except UnexpectedToolError:
            raise
        except ToolError as error:
            # Our tool bodies return their errors: a ToolError comes from the SDK, before the body ran.
            if about_the_answer(error):
                logger.info("tool %s: the answer to its question could not be used", self.name)
                return refusal_result(config, unusable_answer(), NO_SCOPES)
            logger.warning("tool %s refused by the MCP SDK: %s", self.name, error)
            return refusal_result(config, not_run(str(error)), NO_SCOPES)


def busy(in_flight: int, yours: int) -> Problem:
    share = f", {yours} of them for this same key (its share)" if yours else ""
    return synthesized(
        "busy",
        "The server is busy",
        f"This server is already handling {in_flight} tool calls{share}; nothing was sent to HostUp.",
    )


def not_run(reason: str) -> Problem:
    return synthesized(
        "tool_not_run",
        "The tool did not run",
        f"The MCP server refused the call before the tool ran ({clean(reason, 300)}). Nothing was sent to HostUp.",
    )


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
        self.calls = CallLimit(config.max_concurrent_calls)

    def tool(
        self,
        *,
        name: str,
        title: str,
        description: str,
        annotations: ToolAnnotations,
        meta: dict[str, Any] | None = None,
    ) -> Callable[[FunctionT], FunctionT]:
        def register(function: FunctionT) -> FunctionT:
            if annotations.read_only_hint is True or self.config.enable_writes:
                tool = GuardedTool.from_function(
                    function, name=name, title=title, description=description, annotations=annotations, meta=meta
                )
                assert isinstance(tool, GuardedTool)  # from_function builds `cls`, though typed as Tool
                tool.guard = Guard(self.config, self.calls)
                tool.fn_metadata = LiteralArguments(**dict(tool.fn_metadata))
                tool.parameters = portable(tool.parameters)
                self.tools.append(tool)
            return function

        return register
