"""Reading tool results in tests."""

from __future__ import annotations

from typing import Any

from mcp.types import CallToolResult

from hostup_mcp.tools.guidance import GUIDANCE_KEY
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


def hostup_document(result: CallToolResult) -> dict[str, Any]:
    """A success's structured content without our `guidance` member: HostUp's document as it was sent
    (with `demo` in demo mode). The guidance must be there, saying something."""
    assert result.is_error is not True, "expected a success"
    structured = dict(result.structured_content or {})
    guidance = structured.pop(GUIDANCE_KEY)
    assert guidance["summary"].strip()
    return structured


def guidance_of(result: CallToolResult) -> dict[str, Any]:
    assert result.structured_content is not None
    guidance: dict[str, Any] = result.structured_content[GUIDANCE_KEY]
    return guidance


def without_guidance(structured: dict[str, Any]) -> dict[str, Any]:
    """Raw structuredContent (as a client received it) less our `guidance`, which must be there."""
    assert structured[GUIDANCE_KEY]["summary"].strip()
    return {key: value for key, value in structured.items() if key != GUIDANCE_KEY}
