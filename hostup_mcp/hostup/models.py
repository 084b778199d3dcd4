"""Pydantic models mirroring GET /api/v2/vps/{id}/iso field for field.

Field names are the API's (camelCase, through aliases). Nullability follows the reference page. What the
reference types only as "object, null" (`bootOrder`, `operatingSystem`) is validated as exactly that and
passed on as sent: their members are known from examples alone, so one odd member (a null in the boot
order, a numeric OS version) must not fail the whole answer; `BootOrder.read` makes what it can of them
for the text. Every model keeps fields HostUp adds later (`extra="allow"`) instead of rejecting them.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, WithJsonSchema
from pydantic.alias_generators import to_camel

# The reference types these only as "object, null"; their members are known from examples alone. They are
# validated as models, but advertised exactly as documented, which also keeps the outputSchema small.
OBJECT_OR_NULL = WithJsonSchema({"anyOf": [{"type": "object"}, {"type": "null"}]})


def compact_schema(schema: dict[str, Any]) -> None:
    """Shrink the generated outputSchema, which every client sends to the model with each tools/list.

    Titles and descriptions repeat what the tool description says, a `null` default says nothing an
    optional field does not, and JSON Schema already allows additional properties, so none of that is
    lost. Nullable types stay `anyOf` branches with one `type` each: a `"type": [T, "null"]` list is
    rejected or dropped by single-type dialects (Gemini's OpenAPI subset), as Inspector's --strict warns.
    """
    for key in ("title", "description", "additionalProperties"):
        schema.pop(key, None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
        if prop.get("default", ...) is None:
            del prop["default"]


class HostUpModel(BaseModel):
    model_config = ConfigDict(
        json_schema_extra=compact_schema,
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="allow",
        # No silent coercion: a 200 whose values have the wrong types is reported, not reshaped.
        strict=True,
    )


class IsoImage(HostUpModel):
    """An ISO image the VPS can mount (`available[]`); `id` is the isoId for mounting, the volid for deleting."""

    id: str
    name: str | None
    display_name: str | None
    size_gb: float
    format: str | None


class MountedMedia(HostUpModel):
    """A CD/DVD device and what is in it (`mounted[]`)."""

    device: str | None
    iso_id: str | None
    mounted: bool
    is_cloud_init: bool


def as_text(value: Any) -> str | None:
    """A member the reference does not type, as text: a string as sent, null as null, anything else as JSON."""
    return value if value is None or isinstance(value, str) else json.dumps(value, ensure_ascii=False)


class BootDevice(BaseModel):
    """A bootable device (`bootOrder.availableDevices[]`), as read for the text; `others` keeps the members
    that are not strings where the examples have strings, and any others."""

    id: str | None = None
    name: str | None = None
    type: str | None = None
    others: dict[str, Any] = {}

    @classmethod
    def read(cls, raw: Any) -> BootDevice:
        if not isinstance(raw, dict):
            return cls(id=as_text(raw))
        named = {key: raw.get(key) for key in ("id", "name", "type")}
        others = {key: value for key, value in raw.items() if key not in named}
        return cls(**{key: as_text(value) for key, value in named.items()}, others=others)


class BootOrder(BaseModel):
    """Boot-order state (`bootOrder`), as read for the text: device ids in boot order, their names, the
    bootable devices. A member of another shape than the examples', or one they do not have, is in `others`."""

    order: list[str | None] | None = None
    devices: dict[str, str | None] | None = None
    available_devices: list[BootDevice] | None = None
    others: dict[str, Any] = {}

    @classmethod
    def read(cls, raw: dict[str, Any]) -> BootOrder:
        order, devices, bootable = raw.get("order"), raw.get("devices"), raw.get("availableDevices")
        read = {"order": isinstance(order, list), "devices": isinstance(devices, dict)}
        read["availableDevices"] = isinstance(bootable, list)
        return cls(
            order=[as_text(item) for item in order] if isinstance(order, list) else None,
            devices={str(k): as_text(v) for k, v in devices.items()} if isinstance(devices, dict) else None,
            available_devices=[BootDevice.read(item) for item in bootable] if isinstance(bootable, list) else None,
            others={key: value for key, value in raw.items() if not read.get(key)},
        )


class CdromSlot(HostUpModel):
    """A CD/DVD slot that can take an ISO (`availableDevices[]`)."""

    device: str | None
    type: str | None
    description: str | None
    in_use: bool


class ActionGate(HostUpModel):
    """Whether an action is allowed right now; when blocked, `reason` says why and `code` names it."""

    allowed: bool
    reason: str | None
    code: str | None = None


class IsoActions(HostUpModel):
    can_mount: ActionGate
    can_upload: ActionGate


class VpsIsoMedia(HostUpModel):
    """ISO media state of one VPS, as returned by GET /api/v2/vps/{id}/iso."""

    available: list[IsoImage]
    mounted: list[MountedMedia]
    boot_order: Annotated[dict[str, Any] | None, OBJECT_OR_NULL]
    available_devices: list[CdromSlot]
    actions: IsoActions


class VpsSummary(HostUpModel):
    """One VPS of GET /api/v2/vps `data[]`. The list schema is not documented; the item fields follow the
    "same canonical inventory shape" of GET /api/v2/vps/{id}, all optional except `id`."""

    id: str
    name: str | None = None
    primary_ip: str | None = None
    service_status: str | None = None
    power_state: str | None = None
    operating_system: Annotated[dict[str, Any] | None, OBJECT_OR_NULL] = None


class VpsPage(HostUpModel):
    """A page of GET /api/v2/vps: the items in `data`, and `nextCursor` (assumed top-level) for the next page."""

    data: list[VpsSummary]
    next_cursor: str | None = None


class MountResult(HostUpModel):
    """Response of POST …/iso/actions/mount. Undocumented: every field is optional and kept as sent."""

    device: str | None = None
    iso_id: str | None = None


class UnmountResult(HostUpModel):
    """Response of POST …/iso/actions/unmount: the device that was unmounted."""

    device: str


class Operation(HostUpModel):
    """The async `operation` envelope of v2 actions (documented for from-url)."""

    status: str
    job_id: str
    poll_url: str | None = None
    result: dict[str, Any] | None = None


class OperationResult(HostUpModel):
    """Response of POST …/iso/actions/from-url: 200 (already present) or 202 (queued)."""

    operation: Operation


class DeleteResult(HostUpModel):
    """Response of DELETE …/iso/{volid}. Undocumented (likely empty): kept as sent."""


class Job(HostUpModel):
    """`data` of the legacy GET /api/jobs/{jobId}, documented only with placeholder values: the fields
    that say how far the job is are declared (all optional); the rest (progressDetails, result,
    createdAt, finishedAt, …) are kept as extra fields, which also keeps the outputSchema small."""

    job_id: str | None = None
    state: str | None = None
    status: str | None = None
    progress: float | None = None
    progress_message: str | None = None
    is_completed: bool | None = None
    is_failed: bool | None = None
    is_running: bool | None = None
    is_waiting: bool | None = None


class JobEnvelope(HostUpModel):
    """The legacy success envelope of GET /api/jobs/{jobId}."""

    success: bool | None = None
    timestamp: str | None = None
    request_id: str | None = None
    data: Job | None = None
