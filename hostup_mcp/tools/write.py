"""The tools that change a VPS's ISO media: mount, unmount, download, delete. Registered only with writes on."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.elicitation import ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import Elicit, Resolve
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from hostup_mcp.config import Config
from hostup_mcp.hostup.client import HostUpClient
from hostup_mcp.hostup.ids import ID_MAX_LENGTH, ISO_ID_PATTERN, check_iso_id
from hostup_mcp.hostup.models import ActionGate, IsoImage, MountResult, OperationResult, UnmountResult, VpsIsoMedia
from hostup_mcp.hostup.problems import HostUpError, Problem, synthesized
from hostup_mcp.tools.advice import Call
from hostup_mcp.tools.read import VpsId
from hostup_mcp.tools.registry import ToolRegistry
from hostup_mcp.tools.render import render_operation
from hostup_mcp.tools.results import outcome, problem_result
from hostup_mcp.tools.text import clean, extras, quoted

WRITE_SCOPES = ("write:vm", "write:storage")
DECLINED = "Do not call delete_vps_iso for this ISO again unless the user asks."
MOUNT = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True)
DOWNLOAD = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
DELETE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True)

Device = Literal["ide0", "ide1", "ide2", "ide3"]
IsoId = Annotated[
    str,
    Field(
        description="ISO id from list_vps_iso_media available[].id, e.g. iso_01hxa3b4c5d6e7f8g9h0j1k2m3.",
        json_schema_extra={"pattern": ISO_ID_PATTERN, "maxLength": ID_MAX_LENGTH},
    ),
]

MOUNT_VPS_ISO = """\
Mount an ISO image in a CD/DVD device of a HostUp VPS, e.g. to boot an installer. vps_id comes from list_vps; \
iso_id is available[].id from list_vps_iso_media. device (ide0-ide3) is optional: omit it to let HostUp choose, \
or pass a free slot from availableDevices[]. If actions.canMount is closed, returns HostUp's reason and code \
without trying. Changes the VPS's CD/DVD media, not its disks; afterwards call list_vps_iso_media for the \
canonical state and boot order. Needs the write:vm and write:storage scopes."""

UNMOUNT_VPS_ISO = """\
Eject the ISO from a CD/DVD device of a HostUp VPS. vps_id comes from list_vps; device is mounted[].device from \
list_vps_iso_media (ide0-ide3), and HostUp unmounts ide2 when it is omitted. Returns the unmounted device. The \
ISO stays in the library (delete_vps_iso removes it). Afterwards call list_vps_iso_media for the canonical state. \
Needs the write:vm and write:storage scopes."""

DOWNLOAD_VPS_ISO = """\
Have HostUp download an ISO image from a public URL into the VPS owner's ISO library. url must be http(s), \
public and not redirect; the file may be at most 20 GB. filename is the name to store it as (e.g. \
ubuntu-24.04-live-server-amd64.iso); decompress names the compression of a compressed file. If \
actions.canUpload is closed, returns HostUp's reason without trying. If the file is already there the result \
says so; otherwise the download is queued: follow operation.jobId with get_job, then list_vps_iso_media shows \
the ISO's available[].id for mount_vps_iso. Not idempotent: each call may start a download. Needs the write:vm \
and write:storage scopes."""

DELETE_VPS_ISO = """\
Permanently delete an ISO image the user owns from their HostUp ISO library. volid is available[].id from \
list_vps_iso_media. Without confirm=true nothing is deleted: the result is a preview (which ISO, its name and \
size, whether it is mounted) to show the user; call again with confirm=true only after the user agrees. When the \
client supports it, the user is asked directly instead. Cannot be undone. Needs the write:vm and write:storage \
scopes."""


class DeleteOutcome(BaseModel):
    """What delete_vps_iso did. HostUp's DELETE response is undocumented, so this is our own shape."""

    deleted: bool
    volid: str
    iso: IsoImage | None = None
    mounted_in: list[str | None] = Field(default_factory=list, serialization_alias="mountedIn")
    response: dict[str, Any] | None = Field(default=None, description="HostUp's response body, if any.")


class ConfirmDeletion(BaseModel):
    confirm: bool = Field(description="Delete this ISO permanently")


class NotAsked(BaseModel):
    """The resolver's answer when the user was not asked: confirm was given, or the client cannot ask."""


async def ask_to_delete(
    vps_id: str, volid: str, confirm: bool, ctx: Context[HostUpClient]
) -> NotAsked | Elicit[ConfirmDeletion]:
    """Where the client supports form elicitation, ask the user instead of returning a preview.

    Runs before the tool body (the SDK's resolver mechanism, which speaks both protocol eras); anything
    it cannot do quietly falls back to the preview path in the body, which reports errors properly.
    """
    capabilities = ctx.client_capabilities
    if confirm or capabilities is None or capabilities.elicitation is None:
        return NotAsked()
    try:
        check_iso_id(volid, "volid")
        preview = preview_deletion(volid, await ctx.request_context.lifespan_context.get_vps_iso_media(vps_id))
    except HostUpError:
        return NotAsked()
    if preview is None:
        return NotAsked()
    return Elicit(f"Delete this ISO? {describe_deletion(vps_id, preview)}", ConfirmDeletion)


def write_call(vps_id: str, not_found: str) -> Call:
    return Call(WRITE_SCOPES, vps_id=vps_id, not_found=not_found, may_have_happened=True)


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


def register_write_tools(tools: ToolRegistry, config: Config) -> None:
    async def read_state(client: HostUpClient, vps_id: str) -> VpsIsoMedia | None:
        """The ISO state for a pre-check, or None when the key may not read it (403): then HostUp decides."""
        try:
            return await client.get_vps_iso_media(vps_id)
        except HostUpError as exc:
            if exc.problem.status == 403:
                return None
            raise

    @tools.tool(name="mount_vps_iso", title="Mount ISO on VPS", description=MOUNT_VPS_ISO, annotations=MOUNT)
    async def mount_vps_iso(
        vps_id: VpsId,
        iso_id: IsoId,
        ctx: Context[HostUpClient],
        device: Annotated[Device | None, Field(description="CD/DVD slot; omit to let HostUp choose.")] = None,
    ) -> Annotated[CallToolResult, MountResult]:
        client = ctx.request_context.lifespan_context
        call = write_call(vps_id, "no such VPS or ISO: check vps_id with list_vps and iso_id with list_vps_iso_media.")
        try:
            check_iso_id(iso_id, "iso_id")  # before the pre-check, so a malformed id costs no request
            state = await read_state(client, vps_id)
            if state is not None and not state.actions.can_mount.allowed:
                return problem_result(config, blocked("Mounting", "canMount", state.actions.can_mount), call)
            if state is not None and iso_id not in {image.id for image in state.available}:
                return problem_result(config, unknown_iso(iso_id, state), call)
            result = await client.mount_iso(vps_id, iso_id, device)
        except HostUpError as exc:
            return problem_result(config, exc.problem, call)
        where = result.device or device or "the CD/DVD device HostUp chose"
        text = (
            f"Mounted {clean(iso_id)} in {clean(where)} on {vps_id}.{extras(result)}\n"
            "Call list_vps_iso_media for the canonical mount state and boot order."
        )
        return outcome(config, text, result.model_dump(mode="json", exclude_unset=True))

    @tools.tool(name="unmount_vps_iso", title="Unmount VPS ISO", description=UNMOUNT_VPS_ISO, annotations=MOUNT)
    async def unmount_vps_iso(
        vps_id: VpsId,
        ctx: Context[HostUpClient],
        device: Annotated[Device | None, Field(description="mounted[].device; HostUp uses ide2 when omitted.")] = None,
    ) -> Annotated[CallToolResult, UnmountResult]:
        call = write_call(vps_id, "no such VPS: check vps_id with list_vps.")
        try:
            result = await ctx.request_context.lifespan_context.unmount_iso(vps_id, device)
        except HostUpError as exc:
            return problem_result(config, exc.problem, call)
        text = (
            f"Unmounted {clean(result.device)} on {vps_id}.{extras(result)}\n"
            "Call list_vps_iso_media for the canonical mount state and boot order."
        )
        return outcome(config, text, result.model_dump(mode="json", exclude_unset=True))

    @tools.tool(
        name="download_vps_iso", title="Download ISO from URL", description=DOWNLOAD_VPS_ISO, annotations=DOWNLOAD
    )
    async def download_vps_iso(
        vps_id: VpsId,
        url: Annotated[
            str, Field(description="Public http(s) URL of the ISO file; must not redirect.", max_length=2048)
        ],
        filename: Annotated[str, Field(description="Name to store the file as, e.g. debian-12.iso.", max_length=255)],
        ctx: Context[HostUpClient],
        decompress: Annotated[
            Literal["none", "gzip", "lzo", "zstd", "bzip2"] | None,
            Field(description="Compression of the downloaded file, if any."),
        ] = None,
    ) -> Annotated[CallToolResult, OperationResult]:
        client = ctx.request_context.lifespan_context
        call = write_call(vps_id, "no such VPS: check vps_id with list_vps.")
        try:
            state = await read_state(client, vps_id)
            if state is not None and not state.actions.can_upload.allowed:
                return problem_result(config, blocked("Adding an ISO", "canUpload", state.actions.can_upload), call)
            result = await client.download_iso(vps_id, url, filename, decompress)
        except HostUpError as exc:
            return problem_result(config, exc.problem, call)
        return outcome(config, render_operation(result), result.model_dump(mode="json", exclude_unset=True))

    @tools.tool(name="delete_vps_iso", title="Delete VPS ISO media", description=DELETE_VPS_ISO, annotations=DELETE)
    async def delete_vps_iso(
        vps_id: VpsId,
        volid: Annotated[
            str,
            Field(
                description="available[].id of the ISO to delete, from list_vps_iso_media.",
                json_schema_extra={"pattern": ISO_ID_PATTERN, "maxLength": ID_MAX_LENGTH},
            ),
        ],
        ctx: Context[HostUpClient],
        user: Annotated[ElicitationResult[Any], Resolve(ask_to_delete)],
        confirm: Annotated[bool, Field(description="true only after the user agreed to this deletion.")] = False,
    ) -> Annotated[CallToolResult, DeleteOutcome]:
        client = ctx.request_context.lifespan_context
        call = write_call(vps_id, "no such VPS or ISO: check ids with list_vps and list_vps_iso_media.")
        asked = not (user.action == "accept" and isinstance(user.data, NotAsked))
        agreed = user.action == "accept" and isinstance(user.data, ConfirmDeletion) and user.data.confirm
        try:
            check_iso_id(volid, "volid")
            if not (confirm or agreed):
                state = await client.get_vps_iso_media(vps_id)
                preview = preview_deletion(volid, state)
                if preview is None:
                    return problem_result(config, unknown_iso(volid, state), call)
                if asked:
                    return outcome(config, f"The user declined: nothing was deleted. {DECLINED}", dumped(preview))
                return outcome(config, preview_text(vps_id, preview), dumped(preview))
            response = await client.delete_iso(vps_id, volid)
        except HostUpError as exc:
            return problem_result(config, exc.problem, call)
        done = DeleteOutcome(deleted=True, volid=volid, response=response.model_dump(mode="json") or None)
        text = f"Deleted {clean(volid)} from the ISO library of {vps_id}'s owner. Call list_vps_iso_media to confirm."
        return outcome(config, text, dumped(done))


def dumped(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def unknown_iso(iso_id: str, state: VpsIsoMedia) -> Problem:
    known = ", ".join(clean(image.id) for image in state.available[:10]) or "none"
    return synthesized(
        "iso_not_found",
        "No such ISO on this VPS",
        f"{clean(iso_id)} is not among this VPS's available ISOs ({known}). Nothing was sent.",
    )


def preview_deletion(volid: str, state: VpsIsoMedia) -> DeleteOutcome | None:
    iso = next((image for image in state.available if image.id == volid), None)
    mounted_in = [item.device for item in state.mounted if item.iso_id == volid and item.mounted]
    if iso is None and not mounted_in:
        return None
    return DeleteOutcome(deleted=False, volid=volid, iso=iso, mounted_in=mounted_in)


def describe_deletion(vps_id: str, preview: DeleteOutcome) -> str:
    iso = preview.iso
    what = (
        f"{clean(preview.volid)} {quoted(iso.display_name)} ({quoted(iso.name)}, {iso.size_gb:g} GB)"
        if iso
        else clean(preview.volid)
    )
    mounted = (
        f" It is currently mounted in {', '.join(clean(device) for device in preview.mounted_in)} on {vps_id}; "
        "unmount it first or the VPS loses that media."
        if preview.mounted_in
        else " It is not mounted."
    )
    return f"delete_vps_iso would permanently delete {what} from the ISO library.{mounted}"


def preview_text(vps_id: str, preview: DeleteOutcome) -> str:
    return (
        f"PREVIEW — nothing was deleted. {describe_deletion(vps_id, preview)}\n"
        "Call again with confirm=true if the user agrees."
    )
