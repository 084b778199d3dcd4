"""Building tool results: text for the model, structured content for programs, demo marking."""

from __future__ import annotations

from typing import Any

from mcp.types import CallToolResult, TextContent

from hostup_mcp.config import Config
from hostup_mcp.hostup.problems import Problem
from hostup_mcp.tools.advice import Call, render_problem

DEMO_NOTICE = "DEMO DATA from the hostup-mcp sandbox (--demo), not the user's real HostUp servers."


def outcome(config: Config, text: str, structured: dict[str, Any], *, error: bool = False) -> CallToolResult:
    """A tool result; in demo mode both the text and the structured content say it is sandbox data."""
    if config.demo:
        text = f"{DEMO_NOTICE}\n{text}"
        structured = {**structured, "demo": True}
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured, is_error=error)


def problem_result(config: Config, problem: Problem, call: Call) -> CallToolResult:
    return outcome(config, render_problem(problem, call), problem.to_structured(), error=True)
