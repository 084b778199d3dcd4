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
from hostup_mcp.hostup.sandbox import problem_response
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


# Members HostUp leaves out stay out: the structured content is HostUp's document as sent, not our model of it
# with every optional member filled in as null (which would read as "HostUp says there is no next page", …).
SPARSE_ANSWERS: list[tuple[str, dict[str, Any], str, int, dict[str, Any]]] = [
    ("list_vps", {}, "/api/v2/vps", 200, {"data": [{"id": "vps_sparse"}]}),
    ("get_job", {"job_id": "job_sparse"}, "/api/jobs/job_sparse", 200, {"data": {"jobId": "job_sparse"}}),
    (
        "download_vps_iso",
        {"vps_id": EXAMPLE_VPS_ID, "url": "https://releases.example.com/d.iso", "filename": "d.iso"},
        f"/api/v2/vps/{EXAMPLE_VPS_ID}/iso/actions/from-url",
        202,
        {"operation": {"status": "queued", "jobId": "job_sparse"}},
    ),
]


@pytest.mark.parametrize(
    ("tool", "arguments", "path", "status", "sent"), SPARSE_ANSWERS, ids=[row[0] for row in SPARSE_ANSWERS]
)
async def test_members_hostup_leaves_out_are_not_added(
    tool: str, arguments: dict[str, Any], path: str, status: int, sent: dict[str, Any]
):
    async def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == path:
            return httpx.Response(status, json=sent)
        return httpx.Response(200, json=DOCUMENTED_200)  # the ISO state a write reads first

    config = Config(api_key=SecretStr(API_KEY), enable_writes=True)
    server = build_server(config, transport=httpx.MockTransport(handle), retry=FAST_RETRY)
    async with Client(server) as client:
        result = await client.call_tool(tool, arguments)

    assert hostup_document(result) == sent


def refusing(status: int) -> Any:
    async def handle(request: httpx.Request) -> httpx.Response:
        return problem_response(status, request.url.path)

    return handle


@pytest.mark.parametrize(
    ("tool", "arguments", "next_step"),
    [
        ("list_vps", {}, "HostUp found nothing to list here; check primary_ip, or call list_vps without it."),
        (
            "get_job",
            {"job_id": "job_gone"},
            "no such job (it may have expired): check the id, or re-read list_vps_iso_media instead.",
        ),
    ],
)
async def test_a_read_hostup_does_not_find_says_what_to_check_for_that_tool(
    tool: str, arguments: dict[str, Any], next_step: str
):
    server = build_server(Config(api_key=SecretStr(API_KEY)), transport=httpx.MockTransport(refusing(404)))
    async with Client(server) as client:
        result = await client.call_tool(tool, arguments)

    assert text_of(result).endswith(f"Next step: {next_step}")


@pytest.mark.parametrize(
    ("tool", "arguments"), [("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID}), ("get_job", {"job_id": "job_x"})]
)
async def test_a_read_the_key_may_not_make_names_the_read_scope(tool: str, arguments: dict[str, Any]):
    server = build_server(Config(api_key=SecretStr(API_KEY)), transport=httpx.MockTransport(refusing(403)))
    async with Client(server) as client:
        result = await client.call_tool(tool, arguments)

    assert "the API key lacks the read:vm scope" in text_of(result)
    if "vps_id" in arguments:
        assert f"or {EXAMPLE_VPS_ID} is not on this key's account" in text_of(result)
