"""What the reference types only as "object, null" is passed on as sent, whatever its members look like.

`bootOrder` and `operatingSystem` are documented by example alone. A member of another shape (a null in the
boot order, a numeric OS version, a member nobody documented) once failed the whole answer as
`unexpected_response_shape`; now the answer stands, the structured content carries the object exactly, and
the text shows what it can.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from mcp import Client
from pydantic import SecretStr

from hostup_mcp.config import Config
from hostup_mcp.server import build_server
from tests.conftest import FAST_RETRY
from tests.fake_hostup import API_KEY, DOCUMENTED_200, EXAMPLE_VPS_ID
from tests.results import hostup_document, text_of

pytestmark = pytest.mark.anyio

ODD_BOOT_ORDERS: list[Any] = [
    {"order": ["scsi0", None, 3], "devices": {"scsi0": "Disk", "ide2": None}},
    {"order": "scsi0,ide2", "firmware": "uefi"},
    {"order": ["scsi0"], "availableDevices": ["scsi0", {"id": 7, "name": "Disk", "bootIndex": 1}]},
    {"devices": ["scsi0"], "availableDevices": {"scsi0": "Disk"}},
    {},
]
ODD_SYSTEMS: list[Any] = [
    {"displayName": "Ubuntu 24.04", "family": "linux", "version": 24.04, "variant": None},
    {"displayName": None, "kernel": {"release": "6.8"}},
    {"displayName": ["Ubuntu"]},
]


async def call(tool: str, arguments: dict[str, Any], body: dict[str, Any]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    config = Config(api_key=SecretStr(API_KEY), timeout_seconds=2)
    async with Client(build_server(config, transport=httpx.MockTransport(handler), retry=FAST_RETRY)) as client:
        return await client.call_tool(tool, arguments)


@pytest.mark.parametrize("boot_order", ODD_BOOT_ORDERS)
async def test_an_odd_boot_order_is_passed_on_and_shown_not_refused(boot_order: Any):
    body = copy.deepcopy(DOCUMENTED_200) | {"bootOrder": boot_order}
    result = await call("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID}, body)

    assert hostup_document(result)["bootOrder"] == boot_order
    assert len([line for line in text_of(result).splitlines() if line.startswith("boot: ")]) == 1


async def test_the_text_shows_each_odd_member_as_best_it_can():
    shown = []
    for boot_order in ODD_BOOT_ORDERS[:3]:
        body = copy.deepcopy(DOCUMENTED_200) | {"bootOrder": boot_order}
        result = await call("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID}, body)
        shown.append(next(line for line in text_of(result).splitlines() if line.startswith("boot: ")))

    assert shown[0].startswith("boot: scsi0 > - > 3 (names: scsi0=Disk, ide2=-;")
    assert (
        shown[1]
        == 'boot: order not reported (names not reported; bootable devices not reported) +{"order":"scsi0,ide2","firmware":"uefi"}'
    )
    assert shown[2].startswith('boot: scsi0 (names not reported; scsi0 - -, 7 Disk - +{"bootIndex":1})')


@pytest.mark.parametrize("system", ODD_SYSTEMS)
async def test_an_odd_operating_system_is_passed_on_not_refused(system: Any):
    body = {"data": [{"id": "vps_a", "name": "app", "operatingSystem": system}], "nextCursor": None}
    result = await call("list_vps", {}, body)

    assert hostup_document(result)["data"][0]["operatingSystem"] == system
    assert text_of(result).splitlines()[1].startswith("vps_a app ")


@pytest.mark.parametrize("not_an_object", ["uefi", 3, ["scsi0"], True])
async def test_a_boot_order_that_is_no_object_is_still_refused(not_an_object: Any):
    """The reference types it as an object or null: that much is checked."""
    body = copy.deepcopy(DOCUMENTED_200) | {"bootOrder": not_an_object}
    result = await call("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID}, body)

    assert result.is_error is True
    assert "unexpected_response_shape" in text_of(result)
