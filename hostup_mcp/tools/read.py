"""The read-only tools: list_vps, list_vps_iso_media, get_job."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from hostup_mcp.config import Config
from hostup_mcp.hostup.client import HostUpClient
from hostup_mcp.hostup.failures import HostUpError
from hostup_mcp.tools.access import hostup_client
from hostup_mcp.tools.advice import Call
from hostup_mcp.tools.arguments import Cursor, JobReference, PrimaryIp, VpsId
from hostup_mcp.tools.guidance import IsoMediaOutput, JobOutput, VpsPageOutput
from hostup_mcp.tools.registry import ToolRegistry
from hostup_mcp.tools.render import (
    iso_media_guidance,
    job_guidance,
    render_iso_media,
    render_vps_list,
    vps_page_guidance,
)
from hostup_mcp.tools.results import failure_result, outcome
from hostup_mcp.tools.view import TOOL_META, result_meta

READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True)
READ_VM = ("read:vm",)
# Claude Code hides MCP tools behind its tool search unless told otherwise; the reads that start every
# workflow stay loaded so the model sees them at once (docs/tools.md says why not the others).
ALWAYS_LOADED = {"anthropic/alwaysLoad": True}

LIST_VPS = """\
List the user's HostUp VPS (virtual servers) with their public ids. Call it first: the other tools need a \
vps_id from here (data[].id, form vps_…); never guess one. Pass primary_ip to find the VPS with that exact IP \
address (an IP is never a vps_id). Returns data[] (id, name, primaryIp, serviceStatus, powerState, \
operatingSystem, plus whatever else HostUp includes) and nextCursor: when it is not null, more VPS exist; call \
again with cursor=nextCursor for the next page. Read-only. Svenska: lista mina servrar, hitta servern med en \
IP-adress."""

LIST_VPS_ISO_MEDIA = """\
Show the ISO media of one HostUp VPS: the ISO (installer) images it can boot from (available[]: id, file name, \
display name, sizeGb, format), which ISO is mounted in each CD/DVD slot or drive (mounted[]; isCloudInit marks \
the cloud-init drive), the boot order (bootOrder, null when not reported), which CD/DVD slots are free or in \
use (availableDevices[]), and whether mounting or uploading an ISO is allowed right now (actions.canMount / \
canUpload: allowed, and when blocked a reason and a code such as pending_order; check them before suggesting a \
mount or download). available[].id is the iso_id for mount_vps_iso and the volid for delete_vps_iso. vps_id \
comes from list_vps (for an IP address, call list_vps with primary_ip first). Read-only; errors carry HostUp's \
status, code, detail, requestId and the next step. Svenska: vilka ISO-filer som finns, vilken ISO som sitter i \
CD/DVD-enheten, startordningen, och om jag får ladda upp en ISO just nu."""

GET_JOB = """\
Follow a queued HostUp job, such as the ISO download started by download_vps_iso, until it is finished. job_id \
is that result's operation.jobId (job_…) or operation.pollUrl. Returns the job's state (completed, failed, \
running, waiting), progress and message in one line, with HostUp's job data as structured content. Poll every \
few seconds until it is completed or failed. Read-only. Svenska: är nedladdningen klar?"""


async def list_vps_result(
    config: Config, client: HostUpClient, primary_ip: str | None, limit: int | None, cursor: str | None
) -> CallToolResult:
    try:
        page = await client.list_vps(limit=limit, cursor=cursor, primary_ip=primary_ip)
    except HostUpError as exc:
        not_found = "HostUp found nothing to list here; check primary_ip, or call list_vps without it."
        return failure_result(config, exc.failure, Call(READ_VM, not_found=not_found))
    document = page.model_dump(mode="json", exclude_unset=True)
    return outcome(config, vps_page_guidance(page), document, body=render_vps_list(page))


async def iso_media_result(config: Config, ctx: Context[HostUpClient], vps_id: str) -> CallToolResult:
    try:
        media = await hostup_client(ctx, config).get_vps_iso_media(vps_id)
    except HostUpError as exc:
        return failure_result(config, exc.failure, Call(READ_VM, vps_id=vps_id))
    structured = media.model_dump(mode="json", exclude_unset=True)
    view = result_meta(ctx, writes=config.enable_writes) if config.ui else None
    return outcome(config, iso_media_guidance(media), structured, body=render_iso_media(media), meta=view)


async def job_result(config: Config, client: HostUpClient, job_id: str) -> CallToolResult:
    try:
        envelope = await client.get_job(job_id)
    except HostUpError as exc:
        not_found = "no such job (it may have expired): check the id, or re-read list_vps_iso_media instead."
        return failure_result(config, exc.failure, Call(READ_VM, not_found=not_found))
    document = envelope.model_dump(mode="json", exclude_unset=True)
    return outcome(config, job_guidance(job_id, envelope.data), document)


def register_read_tools(tools: ToolRegistry, config: Config) -> None:
    """The registered functions only declare the arguments (their schema); the bodies above are plain
    functions so that mutation testing reaches them (mutmut leaves decorated functions alone)."""

    @tools.tool(name="list_vps", title="List VPS", description=LIST_VPS, annotations=READ, meta=ALWAYS_LOADED)
    async def list_vps(
        ctx: Context[HostUpClient],
        primary_ip: Annotated[
            PrimaryIp | None, Field(description="Exact primary IP address of the VPS to find, e.g. 192.0.2.10.")
        ] = None,
        limit: Annotated[int | None, Field(ge=1, le=100, description="Page size, 1-100.")] = None,
        cursor: Annotated[
            Cursor | None,
            Field(description="nextCursor from the previous list_vps result."),
        ] = None,
    ) -> Annotated[CallToolResult, VpsPageOutput]:
        return await list_vps_result(config, hostup_client(ctx, config), primary_ip, limit, cursor)

    @tools.tool(
        name="list_vps_iso_media",
        title="List VPS ISO media",
        description=LIST_VPS_ISO_MEDIA,
        annotations=READ,
        meta=ALWAYS_LOADED | TOOL_META if config.ui else ALWAYS_LOADED,
    )
    async def list_vps_iso_media(
        vps_id: VpsId, ctx: Context[HostUpClient]
    ) -> Annotated[CallToolResult, IsoMediaOutput]:
        return await iso_media_result(config, ctx, vps_id)

    @tools.tool(name="get_job", title="Get job status", description=GET_JOB, annotations=READ)
    async def get_job(
        job_id: Annotated[
            JobReference,
            Field(description="operation.jobId (e.g. job_01hxa3b4c5d6e7f8g9h0j1k2m3) or operation.pollUrl."),
        ],
        ctx: Context[HostUpClient],
    ) -> Annotated[CallToolResult, JobOutput]:
        return await job_result(config, hostup_client(ctx, config), job_id)
