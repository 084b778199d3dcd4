"""The tools that change a VPS's ISO media: mount, unmount, download, delete. Registered only with writes on.

No `from __future__ import annotations` here: the delete resolver is a closure over the configuration,
and the SDK must be able to evaluate `Resolve(ask_to_delete)` in the scope that defines it.
"""

from typing import Annotated, Any

import anyio
from mcp.server.elicitation import ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import Elicit, Resolve
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from hostup_mcp.config import Config
from hostup_mcp.hostup.client import HostUpClient, call_deadline
from hostup_mcp.hostup.failures import HostUpError
from hostup_mcp.hostup.models import ActionGate, VpsIsoMedia
from hostup_mcp.hostup.problems import Problem, synthesized
from hostup_mcp.tools.access import hostup_client
from hostup_mcp.tools.advice import Call
from hostup_mcp.tools.arguments import (
    ChatConfirmation,
    Decompress,
    Device,
    DownloadUrl,
    FileName,
    IsoId,
    StrictTrue,
    VpsId,
)
from hostup_mcp.tools.deletion import (
    Answer,
    ConfirmDeletion,
    ConfirmedInChat,
    DeleteOutput,
    FormFailed,
    NotAsked,
    Unanswered,
    asks_in_result,
    can_ask,
    confirmation_question,
    decision,
    deleted_guidance,
    no_answer,
    preview_deletion,
    preview_guidance,
    unanswered_guidance,
)
from hostup_mcp.tools.guidance import Guidance, MountOutput, OperationOutput, UnmountOutput
from hostup_mcp.tools.registry import ToolRegistry, UnusableAnswerError
from hostup_mcp.tools.render import operation_guidance
from hostup_mcp.tools.results import failure_result, outcome, refusal_result
from hostup_mcp.tools.text import clean, extras, verbatim
from hostup_mcp.tools.tickets import ChatConfirmations

WRITE_SCOPES = ("write:vm", "write:storage")
MOUNT = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True)
DOWNLOAD = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
DELETE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True)

MOUNT_VPS_ISO = """\
Mount (insert) an ISO image into a CD/DVD drive of a HostUp VPS, e.g. to boot an installer. vps_id comes from \
list_vps; iso_id is available[].id from list_vps_iso_media. device (ide0-ide3) is optional: omit it to let \
HostUp choose, or pass a free slot from availableDevices[]. If actions.canMount is closed, returns HostUp's \
reason and code without trying; if the ISO is already mounted, says where without mounting it again. Changes \
the VPS's CD/DVD media, not its disks; afterwards call list_vps_iso_media for the canonical state and boot \
order. Needs the write:vm and write:storage scopes. Svenska: montera en ISO i CD/DVD-enheten, starta VPS:en \
från installationen."""

UNMOUNT_VPS_ISO = """\
Eject the ISO from a CD/DVD device of a HostUp VPS. vps_id comes from list_vps; device is mounted[].device from \
list_vps_iso_media (ide0-ide3), and HostUp unmounts ide2 when it is omitted. Returns the unmounted device. The \
ISO stays in the library (delete_vps_iso removes it). Afterwards call list_vps_iso_media for the canonical state. \
Needs the write:vm and write:storage scopes. Svenska: mata ut skivan ur CD/DVD-enheten."""

DOWNLOAD_VPS_ISO = """\
Have HostUp download an ISO image from a public URL into the VPS owner's ISO library. url must be http(s), \
public and not redirect; the file may be at most 20 GB. filename is the name to store it as (e.g. \
ubuntu-24.04-live-server-amd64.iso); decompress names the compression of a compressed file. If \
actions.canUpload is closed, returns HostUp's reason without trying. If the file is already there the result \
says so; otherwise the download is queued: follow operation.jobId with get_job, then list_vps_iso_media shows \
the ISO's available[].id for mount_vps_iso. Not idempotent: each call may start a download. Needs the write:vm \
and write:storage scopes. Svenska: ladda ner en ISO från en URL."""

DELETE_VPS_ISO = """\
Permanently delete (remove) an ISO image the user owns from their HostUp ISO library. volid is available[].id from \
list_vps_iso_media. When the client can show the user a form, the user is always asked there, and confirm is \
ignored. Otherwise nothing is deleted without confirm=true: the result is a preview (which ISO, its name and \
size, whether it is mounted) to show the user; call again with confirm=true only after the user agrees. If a \
form gets no answer or is dismissed, nothing is deleted and the result says how to pass on the user's yes \
given in chat. Cannot be undone. Needs the write:vm and write:storage scopes. Svenska: ta bort eller radera \
ISO-filen permanent."""


CHAT_CONFIRMATION_SECONDS = 600  # long enough to ask in chat and hear back, short enough to go stale
RE_READ = "Call list_vps_iso_media for the canonical mount state and boot order."


def write_call(vps_id: str, action: str, not_found: str, *, idempotent: bool = True) -> Call:
    return Call(WRITE_SCOPES, vps_id=vps_id, not_found=not_found, action=action, idempotent=idempotent)


def blocked(action: str, gate_name: str, gate: ActionGate) -> Problem:
    return synthesized(
        "action_blocked",
        f"{action} is blocked right now",
        f"HostUp's {gate_name} gate is closed: {gate.reason or 'no reason given'}"
        + (f" (code {gate.code})" if gate.code else "")
        + ". Nothing was sent.",
        gate=gate_name,
        gateReason=gate.reason,
        gateCode=gate.code,
    )


def unknown_iso(iso_id: str, state: VpsIsoMedia) -> Problem:
    known = ", ".join(verbatim(image.id) for image in state.available[:10]) or "none"
    return synthesized(
        "iso_not_found",
        "No such ISO on this VPS",
        f"{verbatim(iso_id)} is not among this VPS's available ISOs ({known}). Nothing was sent.",
    )


async def read_state(client: HostUpClient, vps_id: str) -> VpsIsoMedia | None:
    """The ISO state for a pre-check, or None when the key may not read it (403): then HostUp decides.
    Any other failure is reported as the pre-check's, so nobody thinks the write was sent."""
    try:
        return await client.get_vps_iso_media(vps_id)
    except HostUpError as exc:
        if exc.failure.status == 403:
            return None
        raise HostUpError(exc.failure.as_precheck()) from None


async def mount_result(
    config: Config, client: HostUpClient, vps_id: str, iso_id: str, device: str | None
) -> CallToolResult:
    call = write_call(
        vps_id, "mount", "no such VPS or ISO: check vps_id with list_vps and iso_id with list_vps_iso_media."
    )
    try:
        state = await read_state(client, vps_id)
        if state is not None and not state.actions.can_mount.allowed:
            return refusal_result(config, blocked("Mounting", "canMount", state.actions.can_mount), call)
        if state is not None and iso_id not in {image.id for image in state.available}:
            return refusal_result(config, unknown_iso(iso_id, state), call)
        already = mounted_in(state, iso_id) if state is not None else []
        if already and (device is None or device in already):
            where = device or already[0]
            text = f"{verbatim(iso_id)} is already mounted in {clean(where)} on {vps_id}; nothing was sent."
            return outcome(config, Guidance(summary=text), {"device": where, "isoId": iso_id})
        result = await client.mount_iso(vps_id, iso_id, device)
    except HostUpError as exc:
        return failure_result(config, exc.failure, call)
    where = result.device or device or "the CD/DVD device HostUp chose"
    done = Guidance(
        summary=f"Mounted {verbatim(iso_id)} in {clean(where)} on {vps_id}.{extras(result)}", next_step=RE_READ
    )
    return outcome(config, done, result.model_dump(mode="json", exclude_unset=True))


async def unmount_result(config: Config, client: HostUpClient, vps_id: str, device: str | None) -> CallToolResult:
    call = write_call(vps_id, "unmount", "no such VPS: check vps_id with list_vps.")
    try:
        result = await client.unmount_iso(vps_id, device)
    except HostUpError as exc:
        return failure_result(config, exc.failure, call)
    done = Guidance(summary=f"Unmounted {clean(result.device)} on {vps_id}.{extras(result)}", next_step=RE_READ)
    return outcome(config, done, result.model_dump(mode="json", exclude_unset=True))


async def download_result(
    config: Config, client: HostUpClient, vps_id: str, url: str, filename: str, decompress: str | None
) -> CallToolResult:
    call = write_call(vps_id, "download", "no such VPS: check vps_id with list_vps.", idempotent=False)
    try:
        state = await read_state(client, vps_id)
        if state is not None and not state.actions.can_upload.allowed:
            return refusal_result(config, blocked("Adding an ISO", "canUpload", state.actions.can_upload), call)
        result = await client.download_iso(vps_id, url, filename, decompress)
    except HostUpError as exc:
        return failure_result(config, exc.failure, call)
    return outcome(config, operation_guidance(result), result.model_dump(mode="json", exclude_unset=True))


async def ask_before_deleting(
    config: Config,
    chats: ChatConfirmations,
    ctx: Context[HostUpClient],
    deletion: tuple[str, str],
    confirm: bool,
    chat_confirmation: str | None,
) -> Answer | Elicit[ConfirmDeletion]:
    """Ask the person, whenever the client can, before anything is deleted; `confirm` alone plays no part.

    Runs before the tool body (the SDK's resolver mechanism, which speaks both protocol eras); when it
    cannot build the question (HostUp failed), the body reports that failure and deletes nothing. A form
    the host never shows must not hold the call until the host gives up: it is waited for a bounded time.
    """
    vps_id, volid = deletion
    if not can_ask(ctx):
        return NotAsked()
    client = hostup_client(ctx, config)
    if confirm and chat_confirmation and chats.redeem(chat_confirmation, client.key_fingerprint(), vps_id, volid):
        return ConfirmedInChat()
    try:
        state = await read_state(client, vps_id)
    except HostUpError:
        return NotAsked()
    preview = preview_deletion(volid, state)
    if preview is None:
        return NotAsked()
    question = confirmation_question(vps_id, preview, demo=config.demo)
    if asks_in_result(ctx):
        return Elicit(question, ConfirmDeletion)
    with anyio.move_on_after(config.confirm_timeout_seconds):
        try:
            return await ctx.elicit(question, ConfirmDeletion)
        except ValueError:  # accepted without content, or content that is not the form's
            raise UnusableAnswerError("the confirmation answer did not fit the form") from None
        except MCPError as error:  # the client answered the form request with an error: it showed no form
            return FormFailed(reason=clean(error.error.message, 200))
    return Unanswered(seconds=config.confirm_timeout_seconds)


async def delete_result(
    config: Config,
    chats: ChatConfirmations,
    ctx: Context[HostUpClient],
    deletion: tuple[str, str],
    answer: ElicitationResult[Any],
    confirm: bool,
) -> CallToolResult:
    vps_id, volid = deletion
    client = hostup_client(ctx, config)
    call = write_call(vps_id, "deletion", "no such VPS or ISO: check ids with list_vps and list_vps_iso_media.")
    # A fresh budget for HostUp: the time the person took to answer the question is not HostUp's.
    with call_deadline(config.timeout_seconds):
        try:
            state = await read_state(client, vps_id)
            preview = preview_deletion(volid, state)
            if preview is None:
                assert state is not None  # an unreadable state previews as unknown, never as missing
                return refusal_result(config, unknown_iso(volid, state), call)
            why = no_answer(answer) if can_ask(ctx) else None
            if why is not None:
                ticket = chats.issue(client.key_fingerprint(), vps_id, volid)
                waiting = preview.model_copy(update={"chat_confirmation": ticket})
                guidance = unanswered_guidance(vps_id, preview, why, ticket)
                return outcome(config, guidance, waiting.model_dump(mode="json"))
            agreed, refusal = decision(answer) if can_ask(ctx) else (confirm, None)
            if not agreed:
                guidance = Guidance(summary=refusal) if refusal else preview_guidance(vps_id, preview)
                return outcome(config, guidance, preview.model_dump(mode="json", exclude={"chat_confirmation"}))
            response = await client.delete_iso(vps_id, volid)
        except HostUpError as exc:
            return failure_result(config, exc.failure, call)
    done = preview.model_copy(update={"deleted": True, "response": response.model_dump(mode="json") or None})
    return outcome(config, deleted_guidance(vps_id, done), done.model_dump(mode="json", exclude={"chat_confirmation"}))


def register_write_tools(tools: ToolRegistry, config: Config) -> None:
    """The registered functions only declare the arguments (their schema); the bodies above are plain
    functions so that mutation testing reaches them (mutmut leaves decorated functions alone)."""

    @tools.tool(name="mount_vps_iso", title="Mount ISO on VPS", description=MOUNT_VPS_ISO, annotations=MOUNT)
    async def mount_vps_iso(
        vps_id: VpsId,
        iso_id: Annotated[
            IsoId,
            Field(description="ISO id from list_vps_iso_media available[].id, e.g. iso_01hxa3b4c5d6e7f8g9h0j1k2m3."),
        ],
        ctx: Context[HostUpClient],
        device: Annotated[Device | None, Field(description="CD/DVD slot; omit to let HostUp choose.")] = None,
    ) -> Annotated[CallToolResult, MountOutput]:
        return await mount_result(config, hostup_client(ctx, config), vps_id, iso_id, device)

    @tools.tool(name="unmount_vps_iso", title="Unmount VPS ISO", description=UNMOUNT_VPS_ISO, annotations=MOUNT)
    async def unmount_vps_iso(
        vps_id: VpsId,
        ctx: Context[HostUpClient],
        device: Annotated[Device | None, Field(description="mounted[].device; HostUp uses ide2 when omitted.")] = None,
    ) -> Annotated[CallToolResult, UnmountOutput]:
        return await unmount_result(config, hostup_client(ctx, config), vps_id, device)

    @tools.tool(
        name="download_vps_iso", title="Download ISO from URL", description=DOWNLOAD_VPS_ISO, annotations=DOWNLOAD
    )
    async def download_vps_iso(
        vps_id: VpsId,
        url: Annotated[DownloadUrl, Field(description="Public http(s) URL of the ISO file; must not redirect.")],
        filename: Annotated[FileName, Field(description="Name to store the file as, ending in .iso.")],
        ctx: Context[HostUpClient],
        decompress: Annotated[
            Decompress | None, Field(description="Compression of the downloaded file, if any.")
        ] = None,
    ) -> Annotated[CallToolResult, OperationOutput]:
        return await download_result(config, hostup_client(ctx, config), vps_id, url, filename, decompress)

    chats = ChatConfirmations(lifetime_seconds=CHAT_CONFIRMATION_SECONDS)

    async def ask_to_delete(
        vps_id: str, volid: str, confirm: bool, chat_confirmation: str | None, ctx: Context[HostUpClient]
    ) -> Answer | Elicit[ConfirmDeletion]:
        return await ask_before_deleting(config, chats, ctx, (vps_id, volid), confirm, chat_confirmation)

    @tools.tool(name="delete_vps_iso", title="Delete VPS ISO media", description=DELETE_VPS_ISO, annotations=DELETE)
    async def delete_vps_iso(
        vps_id: VpsId,
        volid: Annotated[IsoId, Field(description="available[].id of the ISO to delete, from list_vps_iso_media.")],
        ctx: Context[HostUpClient],
        answer: Annotated[ElicitationResult[Any], Resolve(ask_to_delete)],
        confirm: Annotated[
            StrictTrue,
            Field(description="true only after the user agreed; ignored when the client can ask the user itself."),
        ] = False,
        chat_confirmation: Annotated[
            ChatConfirmation,
            Field(
                description="Only after a form went unanswered: the chat_confirmation that result gave, passed "
                "with confirm=true once the user said yes in the chat."
            ),
        ]
        | None = None,
    ) -> Annotated[CallToolResult, DeleteOutput]:
        return await delete_result(config, chats, ctx, (vps_id, volid), answer, confirm)


def mounted_in(state: VpsIsoMedia, iso_id: str) -> list[str]:
    return [item.device for item in state.mounted if item.iso_id == iso_id and item.mounted and item.device]
