"""Building tool results: text for the model, structured content for programs, demo marking.

An error result carries no `structuredContent`: strict clients (the TypeScript SDK, MCP Inspector)
validate it against the tool's outputSchema even on errors and throw, so the model would never see the
error. Its problem document travels in `_meta` under PROBLEM_META_KEY instead, and the text carries
every field of it that a model needs.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mcp.types import CallToolResult, TextContent

from hostup_mcp.config import Config
from hostup_mcp.hostup.failures import Failure
from hostup_mcp.hostup.problems import Problem
from hostup_mcp.tools.advice import Call, render_problem
from hostup_mcp.tools.guidance import Guidance
from hostup_mcp.tools.text import bounded

DEMO_NOTICE = "DEMO DATA from the hostup-mcp sandbox (--demo), not the user's real HostUp servers."
PROBLEM_META_KEY = "io.github.hostup-mcp/problem"


def outcome(
    config: Config,
    guidance: Guidance,
    document: dict[str, Any],
    *,
    body: str | None = None,
    meta: dict[str, Any] | None = None,
) -> CallToolResult:
    """A successful result: the text is `body` (or the summary) and the next step; the structured content is
    `document` with the same guidance. In demo mode both say it is sandbox data."""
    text_block = TextContent(type="text", text=marked(config, guidance.lines(body)))
    if config.demo:
        guidance = guidance.model_copy(update={"summary": f"{DEMO_NOTICE} {guidance.summary}"})
        document = {**document, "demo": True}
    return CallToolResult(content=[text_block], structured_content=guidance.structured(document), _meta=meta)


def failure_result(config: Config, failure: Failure, call: Call) -> CallToolResult:
    """A HostUp call that failed, explained from what was observed."""
    return error_result(config, failure.problem, render_problem(failure.problem, in_mode(config, call), failure))


def refusal_result(config: Config, problem: Problem, call: Call) -> CallToolResult:
    """Something hostup-mcp refused before sending anything (an argument, a closed gate, …)."""
    return error_result(config, problem, render_problem(problem, in_mode(config, call), None))


def in_mode(config: Config, call: Call) -> Call:
    """The call as this server's key mode sees it: advice about the key must fit where the key comes from."""
    return replace(call, key_from_request=config.key_source == "request", key_from_sign_in=config.key_source == "oauth")


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
