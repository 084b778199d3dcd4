"""Compact text for the model: every value of a result, far fewer bytes than its JSON.

Strings from HostUp are data, not instructions: `clean()` escapes control, bidi and zero-width
characters and bounds each field, so a hostile ISO name cannot restyle or flood the text.
The structured content keeps the exact values.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from hostup_mcp.models import ActionGate, BootOrder, CdromSlot, IsoImage, MountedMedia, VpsIsoMedia
from hostup_mcp.problems import API_KEYS_PAGE, Problem

MAX_FIELD_CHARS = 200
MAX_DETAIL_CHARS = 600
MAX_FIELD_ERRORS = 10
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp", "Cn"})


def clean(value: object, limit: int = MAX_FIELD_CHARS) -> str:
    """One field as inert, single-line text of bounded length."""
    if value is None:
        return "null"
    text = str(value)
    if len(text) > limit:
        text = text[:limit] + f"…(+{len(text) - limit} chars)"
    return "".join(f"\\u{ord(char):04x}" if unicodedata.category(char) in UNSAFE_CATEGORIES else char for char in text)


def quoted(value: str | None) -> str:
    """A value that may contain spaces, quoted only when it must be, so list columns stay readable."""
    if value is None:
        return "null"
    text = clean(value)
    if not text or text == "null" or any(char.isspace() or char in '"=,;()' for char in text):
        return '"' + text.replace('"', '\\"') + '"'
    return text


def extras(model: BaseModel) -> str:
    """Fields HostUp sent beyond the documented ones, so the text still carries every value."""
    if not model.model_extra:
        return ""
    return " +" + clean(json.dumps(model.model_extra, ensure_ascii=False, separators=(",", ":")), MAX_DETAIL_CHARS)


def render_iso_media(media: VpsIsoMedia) -> str:
    # The caller knows which VPS it asked about; the id is not repeated, to keep the text small.
    lines = [f"ISOs (id, display name, file, GB, format):{extras(media)}"]
    lines += [render_image(image) for image in media.available] or ["none"]
    lines.append("mounted: " + (", ".join(render_mounted(item) for item in media.mounted) or "none"))
    lines.append("boot: " + render_boot_order(media.boot_order))
    lines.append("CD/DVD slots: " + (", ".join(render_slot(slot) for slot in media.available_devices) or "none"))
    actions = media.actions
    other_actions = f"; other actions:{extras(actions)}" if actions.model_extra else ""
    lines.append(
        f"canMount: {render_gate(actions.can_mount)}; canUpload: {render_gate(actions.can_upload)}{other_actions}"
    )
    return "\n".join(lines)


def render_image(image: IsoImage) -> str:
    return (
        f"{clean(image.id)} {quoted(image.display_name)} {quoted(image.name)} {image.size_gb:g} "
        f"{quoted(image.format)}{extras(image)}"
    )


def render_mounted(item: MountedMedia) -> str:
    flags = ([] if item.mounted else ["not mounted"]) + (["cloud-init drive"] if item.is_cloud_init else [])
    state = f" ({', '.join(flags)})" if flags else ""
    return f"{quoted(item.device)}={quoted(item.iso_id)}{state}{extras(item)}"


def render_boot_order(boot_order: BootOrder | None) -> str:
    if boot_order is None:
        return "null (not reported)"
    order = " > ".join(quoted(device) for device in boot_order.order) if boot_order.order is not None else "null"
    bootable = boot_order.available_devices
    names = boot_order.devices
    parts = []
    if bootable is None or names != {device.id: device.name for device in bootable}:
        # Shown separately only when the name map says something the device list does not.
        parts.append(
            "names: "
            + (", ".join(f"{quoted(k)}={quoted(v)}" for k, v in names.items()) if names is not None else "null")
        )
    if bootable is not None:
        parts.append(", ".join(f"{quoted(d.id)} {quoted(d.name)} {quoted(d.type)}{extras(d)}" for d in bootable))
    else:
        parts.append("bootable devices: null")
    return f"{order} ({'; '.join(parts)}){extras(boot_order)}"


def render_slot(slot: CdromSlot) -> str:
    usage = "in use" if slot.in_use else "free"
    return f"{quoted(slot.device)} {quoted(slot.description)} {quoted(slot.type)} {usage}{extras(slot)}"


def render_gate(gate: ActionGate) -> str:
    verdict = "allowed" if gate.allowed else "BLOCKED"
    why = [clean(gate.reason)] if gate.reason is not None else []
    why += [f"code {clean(gate.code)}"] if gate.code is not None else []
    return verdict + (f" ({', '.join(why)})" if why else "") + extras(gate)


@dataclass(frozen=True, slots=True)
class Operation:
    """What a tool call was doing, so an error can say what to do next."""

    scope: str
    vps_id: str | None = None


def render_problem(problem: Problem, operation: Operation) -> str:
    source = "HostUp error" if problem.from_hostup else "Error (from hostup-mcp, not HostUp)"
    head = " ".join(
        part
        for part in (
            source,
            str(problem.status) if problem.status is not None else "",
            clean(problem.code) if problem.code else "",
        )
        if part
    )
    summary = ": ".join(clean(part, MAX_DETAIL_CHARS) for part in (problem.title, problem.detail) if part)
    lines = [f"{head} — {summary}" if summary else head]
    if problem.request_id:
        lines.append(f"requestId: {clean(problem.request_id)} (quote it to HostUp support)")
    lines += render_field_errors(problem.errors or [])
    if problem.model_extra:
        lines.append(f"other fields:{extras(problem)}")
    lines.append("Next step: " + next_step(problem, operation))
    return "\n".join(lines)


def render_field_errors(errors: Sequence[Any]) -> list[str]:
    shown = [
        f"- {clean(error.pointer)}: {clean(error.detail)}" + (f" ({clean(error.code)})" if error.code else "")
        for error in errors[:MAX_FIELD_ERRORS]
    ]
    if len(errors) > MAX_FIELD_ERRORS:
        shown.append(f"- …and {len(errors) - MAX_FIELD_ERRORS} more field errors (all in the structured content)")
    return shown


def next_step(problem: Problem, operation: Operation) -> str:
    vps = operation.vps_id or "the VPS"
    match problem.code if not problem.from_hostup else None:
        case "missing_api_key":
            return (
                f"tell the user to create an API key with the {operation.scope} scope at {API_KEYS_PAGE} and "
                "set it as HOSTUP_API_KEY in this server's configuration, then restart the client."
            )
        case "invalid_vps_id":
            return "get the VPS id from HostUp's GET /api/v2/vps (data[].id) and call again with it."
        case "timeout" | "connection_failed":
            return "try again in a minute; if it keeps failing, check the network and HOSTUP_BASE_URL."
        case "redirect_not_followed":
            return "check HOSTUP_BASE_URL; it should be https://cloud.hostup.se unless told otherwise."
        case None:
            pass
        case _:
            return "try again later; if it persists, HostUp's API may have changed: report it to the maintainers."
    status = problem.status or 0
    if status == 401:
        return (
            "the API key is missing, invalid, expired or revoked. Tell the user to create a new key at "
            f"{API_KEYS_PAGE} with the {operation.scope} scope and set it as HOSTUP_API_KEY."
        )
    if status == 403:
        return (
            f"the API key lacks the {operation.scope} scope, or {vps} is not on this key's account. Tell the "
            f"user to add {operation.scope} to the key at {API_KEYS_PAGE}, or check the id in GET /api/v2/vps."
        )
    if status == 404:
        return "no such VPS on this account: get valid ids from GET /api/v2/vps (data[].id); never guess them."
    if status == 429:
        if problem.retry_after_seconds is not None:
            return f"rate limited: wait {problem.retry_after_seconds} s, then call again."
        return "rate limited: wait a minute, then call again."
    if status >= 500:
        when = (
            f"HostUp asks to wait {problem.retry_after_seconds} s before retrying"
            if problem.retry_after_seconds is not None
            else "retry later"
        )
        return f"HostUp-side failure: {when}; if it persists, contact HostUp support" + (
            f" quoting requestId {clean(problem.request_id)}." if problem.request_id else "."
        )
    if status == 400:
        return "HostUp rejected the request as invalid; fix the fields listed above and call again."
    return "the request was not completed; read the detail above before trying again."
