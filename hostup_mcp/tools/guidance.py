"""What a result tells the model to act on, written once for both forms a host may pass on.

Claude Code, Codex, VS Code and PydanticAI hand the model only `structuredContent`; Gemini CLI only the
text. So the words that lead to a decision (a preview that deleted nothing, a queued job and how to
follow it, a next page, a closed gate) are a `guidance` member of the structured content, and the text
ends with the same sentences, built from the same object.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from hostup_mcp.hostup.models import (
    HostUpModel,
    JobEnvelope,
    MountResult,
    OperationResult,
    UnmountResult,
    VpsIsoMedia,
    VpsPage,
    compact_schema,
)

GUIDANCE_KEY = "guidance"


class Guidance(BaseModel):
    """hostup-mcp's own words about this result; everything else in the structured content is HostUp's."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, serialize_by_alias=True, json_schema_extra=compact_schema
    )

    summary: str = Field(description="What happened, in one or two sentences.")
    next_step: str | None = Field(default=None, description="What to do next, when there is something to do.")

    def lines(self, body: str | None) -> str:
        """The text's form: the rendered data (or, without it, the summary), then the next step."""
        return "\n".join(part for part in (body if body is not None else self.summary, self.next_step) if part)

    def structured(self, document: dict[str, Any]) -> dict[str, Any]:
        """`guidance` first, so a host that shows the JSON shows it first; HostUp's members follow as sent."""
        return {GUIDANCE_KEY: self.model_dump(mode="json", exclude_none=True), **document}


class Guided(HostUpModel):
    """The outputSchema of a result: HostUp's document plus our `guidance` (and `demo` in demo mode)."""

    guidance: Guidance
    demo: bool | None = Field(default=None, description="true when the data comes from the built-in sandbox.")


class IsoMediaOutput(Guided, VpsIsoMedia):
    pass


class VpsPageOutput(Guided, VpsPage):
    pass


class JobOutput(Guided, JobEnvelope):
    pass


class MountOutput(Guided, MountResult):
    pass


class UnmountOutput(Guided, UnmountResult):
    pass


class OperationOutput(Guided, OperationResult):
    pass
