"""Deleting an ISO safely: the preview, the question a person answers, and what the answer means."""

from __future__ import annotations

from typing import Any

from mcp.server.elicitation import AcceptedElicitation, CancelledElicitation, DeclinedElicitation, ElicitationResult
from mcp.server.mcpserver import Context
from mcp_types.version import is_version_at_least
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from hostup_mcp.hostup.models import HostUpModel, IsoImage, VpsIsoMedia
from hostup_mcp.tools.guidance import Guidance, Guided
from hostup_mcp.tools.text import clean, number, verbatim

MODERN_ERA = "2026-07-28"  # questions ride in the tool result (input_required) from this version on
NOT_AGAIN = "Do not call delete_vps_iso for this ISO again unless the user asks."


class DeleteOutcome(HostUpModel):
    """What delete_vps_iso did or would do. HostUp's DELETE response is undocumented, so this is our own shape:
    `mountedIn` is null (and `iso` too) when the key may not read the VPS's ISO state."""

    deleted: bool
    volid: str
    iso: IsoImage | None
    mounted_in: list[str | None] | None
    response: dict[str, Any] | None = None
    # Set only when a confirmation form went unanswered: pass it back, with confirm=true, after the user's yes.
    chat_confirmation: str | None = None


class DeleteOutput(Guided, DeleteOutcome):
    pass


class ConfirmDeletion(BaseModel):
    """The form a person sees; only a ticked box (the JSON value true) deletes."""

    model_config = ConfigDict(title="Delete ISO permanently")

    confirm: StrictBool = Field(title="Yes, delete it permanently", description="This cannot be undone.")


class NotAsked(BaseModel):
    """The resolver's answer when the person was not asked: the client cannot ask, or HostUp failed first."""


class ConfirmedInChat(BaseModel):
    """The resolver's answer when an earlier form went unanswered and the model brings that call's ticket."""


class Unanswered(BaseModel):
    """The resolver's answer when the form got no answer in time: the host may never have shown it."""

    seconds: float


class FormFailed(BaseModel):
    """The resolver's answer when the client answered the form request with an error instead of a form."""

    reason: str


# What asking can come to before the tool body runs; the SDK wraps it as the resolver's accepted value.
Answer = (
    NotAsked
    | ConfirmedInChat
    | Unanswered
    | FormFailed
    | AcceptedElicitation[ConfirmDeletion]
    | DeclinedElicitation
    | CancelledElicitation
)


def asks_in_result(ctx: Context[Any]) -> bool:
    """From 2026-07-28 the question rides in the result and the host sends the answer in a new call, so
    nothing waits here; before, the server sends a request and waits for the host's reply."""
    version = ctx.protocol_version
    return version is not None and is_version_at_least(version, MODERN_ERA)


def can_ask(ctx: Context[Any]) -> bool:
    """Whether a form can reach a person: the client takes forms (a bare `elicitation: {}` means form),
    and this connection can carry the question. From 2026-07-28 it always can (the question is part of
    the result); before, it needs a channel for server-to-client requests, which stateless HTTP lacks."""
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    if elicitation is None or (elicitation.form is None and elicitation.url is not None):
        return False
    return asks_in_result(ctx) or ctx.session.can_send_request


def preview_deletion(volid: str, state: VpsIsoMedia | None) -> DeleteOutcome | None:
    """What deleting `volid` would remove; None when the VPS has no such ISO. With no readable state
    (`None`), what it is and where it is mounted are unknown."""
    if state is None:
        return DeleteOutcome(deleted=False, volid=volid, iso=None, mounted_in=None)
    iso = next((image for image in state.available if image.id == volid), None)
    mounted_in = [item.device for item in state.mounted if item.iso_id == volid and item.mounted]
    if iso is None and not mounted_in:
        return None
    return DeleteOutcome(deleted=False, volid=volid, iso=iso, mounted_in=mounted_in)


def describe_iso(preview: DeleteOutcome) -> str:
    """The ISO as a person knows it: its display name, then its file, size and id."""
    iso = preview.iso
    if iso is None:
        return f"the ISO {verbatim(preview.volid)}"
    label = iso.display_name or iso.name
    facts = [f"file {clean(iso.name)}"] if iso.name and iso.name != label else []
    facts += [f"{number(iso.size_gb)} GB", f"id {verbatim(iso.id)}"]
    named = f'"{clean(label)}"' if label else "an ISO without a name"
    return f"{named} ({', '.join(facts)})"


def describe_mounts(vps_id: str, preview: DeleteOutcome) -> str:
    if preview.mounted_in is None:
        return "Whether it is mounted could not be read."
    if not preview.mounted_in:
        return "It is not mounted."
    slots = ", ".join(clean(device) if device else "a CD/DVD slot HostUp did not name" for device in preview.mounted_in)
    return f"It is mounted in {slots} on {vps_id}: that VPS loses the disc."


def confirmation_question(vps_id: str, preview: DeleteOutcome, *, demo: bool) -> str:
    """The question shown to a person: no tool names, no nulls, and the sandbox says it is one."""
    sandbox = "[Demo sandbox: nothing real is deleted] " if demo else ""
    return (
        f"{sandbox}Permanently delete {describe_iso(preview)} from the HostUp ISO library of VPS {vps_id}? "
        f"{describe_mounts(vps_id, preview)} This cannot be undone."
    )


def preview_guidance(vps_id: str, preview: DeleteOutcome) -> Guidance:
    return Guidance(
        summary=f"PREVIEW — nothing was deleted. Deleting would permanently remove {describe_iso(preview)} from "
        f"the ISO library. {describe_mounts(vps_id, preview)}",
        next_step="Show this to the user and ask whether to delete it; call again with confirm=true only if "
        "they agree.",
    )


def no_answer(answer: ElicitationResult[Any]) -> str | None:
    """Why the form brought no decision, when it did not: nobody answered in time, or it was dismissed.

    A dismissal is not a no: headless Claude Code dismisses every form at once, and a person who closed
    one may still want the ISO gone. Both end with a question in chat instead (tickets.py)."""
    answer = received(answer)
    if answer.action == "accept" and isinstance(answer.data, Unanswered):
        return f"got no answer within {number(answer.data.seconds)} s (this client may not show forms)"
    if answer.action == "accept" and isinstance(answer.data, FormFailed):
        return f"could not be shown: the client answered it with an error ({answer.data.reason})"
    if answer.action == "cancel":
        return "was dismissed without an answer (some clients dismiss forms they cannot show)"
    return None


def unanswered_guidance(vps_id: str, preview: DeleteOutcome, why: str, ticket: str) -> Guidance:
    return Guidance(
        summary=f"Nothing was deleted: the confirmation form {why}. Deleting would permanently remove "
        f"{describe_iso(preview)} from the ISO library. {describe_mounts(vps_id, preview)}",
        next_step="Ask the user in the chat whether to delete it. Only if they say yes, call delete_vps_iso "
        f"again with the same vps_id and volid, confirm=true and chat_confirmation={ticket} (valid for a few "
        "minutes). Never pass it without the user's yes.",
    )


def received(answer: ElicitationResult[Any]) -> ElicitationResult[Any]:
    """The form's answer: asked in the result (the SDK's own outcome), or asked by us while waiting (an
    outcome the SDK wraps as the resolver's accepted value)."""
    inner = answer.data if isinstance(answer, AcceptedElicitation) else None
    if isinstance(inner, AcceptedElicitation | DeclinedElicitation | CancelledElicitation):
        return inner
    return answer


def decision(answer: ElicitationResult[Any]) -> tuple[bool, str | None]:
    """Whether the person agreed (in the form, or in chat after a form that brought no answer), and when
    not, what to tell the model. A form without an answer (`no_answer`) is handled before this."""
    answer = received(answer)
    if answer.action == "accept" and isinstance(answer.data, ConfirmedInChat):
        return True, None
    if answer.action == "accept" and isinstance(answer.data, NotAsked):
        return False, "Nothing was deleted: the user could not be asked just now. Call again to ask them."
    if answer.action == "accept":
        if isinstance(answer.data, ConfirmDeletion) and answer.data.confirm is True:
            return True, None
        return False, f"The user did not tick the confirmation: nothing was deleted. {NOT_AGAIN}"
    who = "by the user, or by a client that answers forms on its own"
    return False, f"The confirmation was declined ({who}): nothing was deleted. {NOT_AGAIN}"


def deleted_guidance(vps_id: str, done: DeleteOutcome) -> Guidance:
    mounted = (
        f" It was mounted in {', '.join(clean(device) for device in done.mounted_in if device)}; check that slot."
        if done.mounted_in
        else ""
    )
    return Guidance(
        summary=f"Deleted {describe_iso(done)} from the ISO library of {vps_id}'s owner.{mounted}",
        next_step="Call list_vps_iso_media to confirm.",
    )
