"""Reading tool results in tests."""

from __future__ import annotations

from typing import Any

from mcp.types import CallToolResult

from hostup_mcp.tools.results import PROBLEM_META_KEY


def problem_of(result: CallToolResult) -> dict[str, Any]:
    """The problem document of an error result, which travels in `_meta` (never as structuredContent)."""
    assert result.is_error is True, "expected an error result"
    assert result.structured_content is None
    assert result.meta is not None
    return result.meta[PROBLEM_META_KEY]


def text_of(result: CallToolResult) -> str:
    (block,) = result.content
    assert block.type == "text"
    return block.text
