"""Building tool results: text for the model, structured content for programs, demo marking.

An error result carries no `structuredContent`: strict clients (the TypeScript SDK, MCP Inspector)
validate it against the tool's outputSchema even on errors and throw, so the model would never see the
error. Its problem document travels in `_meta` under PROBLEM_META_KEY instead, and the text carries
every field of it that a model needs.
"""

from __future__ import annotations

from typing import Any

from mcp.types import CallToolResult, TextContent

from hostup_mcp.config import Config
from hostup_mcp.hostup.failures import Failure
from hostup_mcp.hostup.problems import Problem
from hostup_mcp.tools.advice import Call, render_problem
from hostup_mcp.tools.text import bounded

DEMO_NOTICE = "DEMO DATA from the hostup-mcp sandbox (--demo), not the user's real HostUp servers."
PROBLEM_META_KEY = "io.github.hostup-mcp/problem"


def outcome(
    config: Config, text: str, structured: dict[str, Any], meta: dict[str, Any] | None = None
) -> CallToolResult:
    """A successful result; in demo mode both the text and the structured content say it is sandbox data."""
    if config.demo:
        structured = {**structured, "demo": True}
    text_block = TextContent(type="text", text=marked(config, text))
    return CallToolResult(content=[text_block], structured_content=structured, _meta=meta)


def failure_result(config: Config, failure: Failure, call: Call) -> CallToolResult:
    """A HostUp call that failed, explained from what was observed."""
    return error_result(config, failure.problem, render_problem(failure.problem, call, failure))


def refusal_result(config: Config, problem: Problem, call: Call) -> CallToolResult:
    """Something hostup-mcp refused before sending anything (an argument, a closed gate, …)."""
    return error_result(config, problem, render_problem(problem, call, None))


def error_result(config: Config, problem: Problem, text: str) -> CallToolResult:
    document = problem.to_structured() | ({"demo": True} if config.demo else {})
    return CallToolResult(
        content=[TextContent(type="text", text=marked(config, text))],
        is_error=True,
        _meta={PROBLEM_META_KEY: document},
    )


def marked(config: Config, text: str) -> str:
    text = bounded(text)
    return f"{DEMO_NOTICE}\n{text}" if config.demo else text
