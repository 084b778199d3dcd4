from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from hostup_mcp.hostup.models import VpsIsoMedia
from tests.fake_hostup import BLOCKED_200, DOCUMENTED_200, with_extra_fields


def dumped(document: dict) -> dict:
    return VpsIsoMedia.model_validate(document).model_dump(mode="json", exclude_unset=True)


@pytest.mark.parametrize(
    "document", [DOCUMENTED_200, BLOCKED_200, with_extra_fields()], ids=["doc", "blocked", "extra"]
)
def test_responses_round_trip_exactly(document: dict):
    assert dumped(document) == document


def test_gate_code_may_be_absent_or_null_and_boot_order_null():
    media = VpsIsoMedia.model_validate(BLOCKED_200)

    assert media.boot_order is None
    assert media.actions.can_mount.code == "pending_order"
    assert media.actions.can_upload.code is None
    assert VpsIsoMedia.model_validate(DOCUMENTED_200).actions.can_mount.code is None


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("available", 0, "sizeGb"), "5.9"),
        (("mounted", 0, "mounted"), "yes"),
        (("available", 0, "id"), None),
        (("availableDevices", 1, "inUse"), 1),
        (("actions", "canMount", "allowed"), None),
    ],
)
def test_values_of_the_wrong_type_are_rejected_not_coerced(path: tuple, value: object):
    document = copy.deepcopy(DOCUMENTED_200)
    target = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value

    with pytest.raises(ValidationError):
        VpsIsoMedia.model_validate(document)


@pytest.mark.parametrize("field", ["available", "mounted", "bootOrder", "availableDevices", "actions"])
def test_every_documented_top_level_field_is_required(field: str):
    document = copy.deepcopy(DOCUMENTED_200)
    del document[field]

    with pytest.raises(ValidationError):
        VpsIsoMedia.model_validate(document)


def test_output_schema_allows_null_where_documented():
    schema = VpsIsoMedia.model_json_schema()

    # As the reference types it, with one type per branch (single-type dialects reject type lists).
    assert schema["properties"]["bootOrder"] == {"anyOf": [{"type": "object"}, {"type": "null"}]}
    assert schema["$defs"]["ActionGate"]["required"] == ["allowed", "reason"]
    assert schema["$defs"]["IsoImage"]["properties"]["name"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
