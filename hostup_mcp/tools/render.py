"""Compact text for the model: every value of a result, in far fewer bytes than its JSON."""

from __future__ import annotations

import json

from hostup_mcp.hostup.models import (
    ActionGate,
    BootOrder,
    CdromSlot,
    IsoImage,
    Job,
    MountedMedia,
    OperationResult,
    VpsIsoMedia,
    VpsPage,
    VpsSummary,
    as_text,
)
from hostup_mcp.tools.guidance import Guidance
from hostup_mcp.tools.text import ABSENT, clean, extras, more, number, quoted, verbatim


def render_iso_media(media: VpsIsoMedia) -> str:
    # The caller knows which VPS it asked about; the id is not repeated, to keep the text small.
    absent = any(None in (image.name, image.display_name, image.format) for image in media.available)
    legend = f"; {ABSENT} = none" if absent else ""  # only when needed: the common case stays small
    lines = [f"ISOs (id, display name, file, GB, format{legend}):{extras(media)}"]
    lines += [render_image(image) for image in media.available] or ["none"]
    lines.append("mounted: " + (", ".join(render_mounted(item) for item in media.mounted) or "none"))
    lines.append(
        "boot: " + render_boot_order(BootOrder.read(media.boot_order) if media.boot_order is not None else None)
    )
    lines.append("CD/DVD slots: " + (", ".join(render_slot(slot) for slot in media.available_devices) or "none"))
    actions = media.actions
    other_actions = f"; other actions:{extras(actions)}" if actions.model_extra else ""
    lines.append(
        f"canMount: {render_gate(actions.can_mount)}; canUpload: {render_gate(actions.can_upload)}{other_actions}"
    )
    return "\n".join(lines)


def iso_media_guidance(media: VpsIsoMedia) -> Guidance:
    """The counts and the gates in words; a closed gate is what the model must act on (not suggest it)."""
    in_use = [item for item in media.mounted if item.mounted and item.iso_id is not None]
    where = f" ({', '.join(clean(item.device) for item in in_use if item.device)})" if in_use else ""
    gates = {"mounting an ISO": media.actions.can_mount, "adding an ISO": media.actions.can_upload}
    closed = {action: gate for action, gate in gates.items() if not gate.allowed}
    counts = f"{plural(len(media.available), 'ISO')} available, {len(in_use)} mounted{where}."
    if not closed:
        return Guidance(summary=f"{counts} Mounting and adding ISOs are allowed.")
    reasons = "; ".join(f"{sentence_case(action)} is blocked ({gate_reason(gate)})" for action, gate in closed.items())
    blocked, verb, them = (" and ".join(closed), "are", "them") if len(closed) > 1 else (*closed, "is", "it")
    return Guidance(
        summary=f"{counts} {reasons}.",
        next_step=f"{sentence_case(blocked)} {verb} blocked now: do not suggest or try {them}; tell the user HostUp's "
        "reason.",
    )


def sentence_case(words: str) -> str:
    return words[:1].upper() + words[1:]


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def gate_reason(gate: ActionGate) -> str:
    why = [clean(gate.reason) if gate.reason is not None else "no reason given"]
    return ", ".join(why + ([f"code {clean(gate.code)}"] if gate.code is not None else []))


def render_image(image: IsoImage) -> str:
    return (
        f"{verbatim(image.id)} {quoted(image.display_name)} {quoted(image.name)} {number(image.size_gb)} "
        f"{quoted(image.format)}{extras(image)}"
    )


def render_mounted(item: MountedMedia) -> str:
    """`ide2=iso_…`; absent values in words (the cloud-init drive usually holds no ISO)."""
    if item.iso_id is not None:
        content = verbatim(item.iso_id)
    else:
        content = "cloud-init drive" if item.is_cloud_init else "no ISO"
    flags = [] if item.device is not None else ["no device given"]
    flags += [] if item.mounted else ["not mounted"]
    flags += ["cloud-init drive"] if item.is_cloud_init and item.iso_id is not None else []
    state = f" ({', '.join(flags)})" if flags else ""
    subject = f"{quoted(item.device)}={content}" if item.device is not None else content
    return f"{subject}{state}{extras(item)}"


def render_boot_order(boot_order: BootOrder | None) -> str:
    if boot_order is None:
        return "not reported"
    order = (
        " > ".join(quoted(device) for device in boot_order.order)
        if boot_order.order is not None
        else "order not reported"
    )
    bootable = boot_order.available_devices
    names = boot_order.devices
    parts = []
    if bootable is None or names != {device.id: device.name for device in bootable}:
        # Shown separately only when the name map says something the device list does not.
        parts.append(
            "names: " + ", ".join(f"{quoted(k)}={quoted(v)}" for k, v in names.items())
            if names is not None
            else "names not reported"
        )
    if bootable is not None:
        parts.append(", ".join(f"{quoted(d.id)} {quoted(d.name)} {quoted(d.type)}{more(d.others)}" for d in bootable))
    else:
        parts.append("bootable devices not reported")
    return f"{order} ({'; '.join(parts)}){more(boot_order.others)}"


def render_slot(slot: CdromSlot) -> str:
    usage = "in use" if slot.in_use else "free"
    device = quoted(slot.device) if slot.device is not None else "(no device name)"
    description = quoted(slot.description) if slot.description is not None else "(no description)"
    kind = quoted(slot.type) if slot.type is not None else "(no type)"
    return f"{device} {description} {kind} {usage}{extras(slot)}"


def render_gate(gate: ActionGate) -> str:
    verdict = "allowed" if gate.allowed else "BLOCKED"
    why = [clean(gate.reason)] if gate.reason is not None else []
    why += [f"code {clean(gate.code)}"] if gate.code is not None else []
    return verdict + (f" ({', '.join(why)})" if why else "") + extras(gate)


def render_vps_page(page: VpsPage) -> str:
    return vps_page_guidance(page).lines(render_vps_list(page))


def render_vps_list(page: VpsPage) -> str:
    if not page.data:
        lines = ["No VPS found."]
    else:
        # Billing, resources and the like stay in the structured content: this list is for picking an id.
        lines = [
            f"VPS ({len(page.data)}): id, name, primary IP, service status, power state, OS ({ABSENT} = none; more "
            "in the JSON)"
        ]
        lines += [render_vps(vps) for vps in page.data]
    if page.model_extra:
        lines.append(f"other fields:{extras(page)}")
    return "\n".join(lines)


def vps_page_guidance(page: VpsPage) -> Guidance:
    summary = f"{plural(len(page.data), 'VPS')} on this page." if page.data else "No VPS found."
    if page.next_cursor is not None:
        more = f"More VPS exist: call list_vps again with cursor={quoted(page.next_cursor, exact=True)}."
        return Guidance(summary=summary, next_step=more)
    return Guidance(summary=summary)


def render_vps(vps: VpsSummary) -> str:
    system = vps.operating_system
    return (
        f"{verbatim(vps.id)} {quoted(vps.name)} {quoted(vps.primary_ip)} {quoted(vps.service_status)} "
        f"{quoted(vps.power_state)} {quoted(as_text(system.get('displayName')) if system else None)}"
    )


def render_operation(result: OperationResult) -> str:
    return operation_guidance(result).lines(None)


# The documented `operation.status` enum; the legacy job's state words are not documented, so the same
# rule reads them: these mean "not finished yet", `completed` and `failed` are final, and any other word
# is reported as HostUp's and polled at most once more, never without end.
UNFINISHED = frozenset({"pending", "queued", "in_progress", "running", "active", "waiting", "delayed"})
FINAL = frozenset({"completed", "failed"})
POLL_LIMIT = (
    "Poll every 10 seconds or so; if it has not finished after about 10 minutes, tell the user and stop polling."
)


def state_kind(word: str) -> str:
    """completed, failed, unfinished, or unknown."""
    if word in FINAL:
        return word
    return "unfinished" if word in UNFINISHED else "unknown"


def operation_guidance(result: OperationResult) -> Guidance:
    operation = result.operation
    job, status = verbatim(operation.job_id), clean(operation.status)
    kind = state_kind(operation.status)
    if kind == "completed":
        head = f"The ISO is already in the library (operation {job} completed)."
        follow = "Call list_vps_iso_media to get its available[].id for mounting."
    elif kind == "failed":
        head = f"HostUp reports the download failed (operation {job} failed)."
        follow = "Nothing was added. Tell the user, with HostUp's result above if there is one; do not retry unasked."
    elif kind == "unfinished":
        head = f"Download queued: job {job} is {status}, poll {verbatim(operation.poll_url)}."
        follow = (
            f"Follow it with get_job(job_id={job}) until it completes or fails; then list_vps_iso_media shows the "
            f"new ISO's available[].id. {POLL_LIMIT}"
        )
    else:
        head = f"HostUp answered the download with status {status}, which is not documented (job {job})."
        follow = f"Check once with get_job(job_id={job}); if that does not say completed or failed, tell the user."
    result_text = f" result: {clean(operation.result, 300)}" if operation.result is not None else ""
    return Guidance(summary=f"{head}{result_text}{extras(operation)}{extras(result)}", next_step=follow)


def render_job(job_id: str, job: Job | None) -> str:
    return job_guidance(job_id, job).lines(None)


def job_guidance(job_id: str, job: Job | None) -> Guidance:
    """One line: one word for the state (HostUp's own state/status/is* words stay in the structured
    content), progress, message, other fields; then what to do next."""
    if job is None:
        return Guidance(summary=f"job {verbatim(job_id)}: HostUp returned no job data.")
    extra = dict(job.model_extra or {})
    details = extra.pop("progressDetails", None)
    details = details if isinstance(details, dict) else {}
    percent = job.progress if job.progress is not None else details.get("percentage")
    message = job.progress_message or details.get("message")
    state = job_state(job)
    parts = [
        f"job {verbatim(job.job_id or job_id)}: {state}",
        f"{number(percent)}%" if isinstance(percent, int | float) and not isinstance(percent, bool) else "",
        f"({clean(message)})" if message else "",
        *(
            f"{key}={clean(json.dumps(value, ensure_ascii=False), 300)}"
            for key, value in extra.items()
            if value is not None
        ),
    ]
    advice = {
        "completed": "Done: call list_vps_iso_media to see the result.",
        "failed": "The job failed; tell the user, with the message above.",
        "unfinished": f"Not finished: call get_job again. {POLL_LIMIT}",
        "unknown": f"HostUp reports the state {clean(state)}, which is not documented: call get_job once more; if "
        "it still says neither completed nor failed, tell the user the state and stop polling.",
    }[state_kind(state)]
    return Guidance(summary=" ".join(part for part in parts if part), next_step=advice)


def job_state(job: Job) -> str:
    """completed, failed, running, waiting, or HostUp's own word (read by `state_kind`)."""
    if job.is_failed or job.status == "failed" or job.state == "failed":
        return "failed"
    if job.is_completed or job.status == "completed" or job.state == "completed":
        return "completed"
    if job.is_running:
        return "running"
    if job.is_waiting:
        return "waiting"
    return job.state or job.status or "unknown"
