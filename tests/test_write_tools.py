"""The write tools through the protocol: read-only by default, gates, previews, confirmations, scopes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client
from mcp.types import ElicitResult
from pydantic import SecretStr

from hostup_mcp.config import Config
from hostup_mcp.server import build_server
from tests.conftest import FAST_RETRY
from tests.fake_hostup import API_KEY, DOCUMENTED_200, EXAMPLE_ISO_ID, EXAMPLE_VPS_ID, NO_SCOPE_KEY, FakeHostUp

pytestmark = pytest.mark.anyio

READ_TOOLS = ["list_vps", "list_vps_iso_media", "get_job"]
WRITE_TOOLS = ["mount_vps_iso", "unmount_vps_iso", "download_vps_iso", "delete_vps_iso"]
EXPECTED_ANNOTATIONS = {
    # name: (readOnly, destructive, idempotent, openWorld)
    "list_vps": (True, False, True, True),
    "list_vps_iso_media": (True, False, True, True),
    "get_job": (True, False, True, True),
    "mount_vps_iso": (False, False, True, True),
    "unmount_vps_iso": (False, False, True, True),
    "download_vps_iso": (False, False, False, True),
    "delete_vps_iso": (False, True, True, True),
}


def writes_config(key: str = API_KEY) -> Config:
    return Config(api_key=SecretStr(key), timeout_seconds=1.0, enable_writes=True)


@pytest.fixture
async def writer(fake: FakeHostUp, mode: str) -> AsyncIterator[Client]:
    server = build_server(writes_config(), transport=fake.transport(), retry=FAST_RETRY)
    async with Client(server, mode=mode) as connected:
        yield connected


def sent(fake: FakeHostUp) -> list[str]:
    return [f"{request.method} {request.url.path}" for request in fake.requests]


async def tool_surface(config: Config) -> dict[str, tuple[bool, ...]]:
    async with Client(build_server(config)) as client:
        tools = (await client.list_tools()).tools
    return {
        tool.name: (
            tool.annotations.read_only_hint,
            tool.annotations.destructive_hint,
            tool.annotations.idempotent_hint,
            tool.annotations.open_world_hint,
        )
        for tool in tools
    }


async def test_the_default_surface_is_exactly_the_read_only_tools():
    surface = await tool_surface(Config(api_key=None))

    assert list(surface) == READ_TOOLS
    assert all(hints[0] is True for hints in surface.values())


async def test_with_writes_enabled_every_tool_appears_with_truthful_annotations():
    surface = await tool_surface(Config(api_key=None, enable_writes=True))

    assert surface == EXPECTED_ANNOTATIONS
    assert list(surface) == READ_TOOLS + WRITE_TOOLS


# --- mount / unmount --------------------------------------------------------------------------


async def test_mount_checks_the_gate_then_mounts_in_a_free_slot(writer: Client, fake: FakeHostUp):
    result = await writer.call_tool("mount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "iso_id": EXAMPLE_ISO_ID})

    assert result.is_error is False
    assert result.structured_content == {"device": "ide3", "isoId": EXAMPLE_ISO_ID}
    assert f"Mounted {EXAMPLE_ISO_ID} in ide3" in result.content[0].text
    assert sent(fake) == [
        f"GET /api/v2/vps/{EXAMPLE_VPS_ID}/iso",
        f"POST /api/v2/vps/{EXAMPLE_VPS_ID}/iso/actions/mount",
    ]
    assert fake.requests[-1].read() == f'{{"isoId":"{EXAMPLE_ISO_ID}"}}'.encode()


async def test_mount_sends_the_device_only_when_given(writer: Client, fake: FakeHostUp):
    await writer.call_tool("unmount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "device": "ide2"})
    result = await writer.call_tool(
        "mount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "iso_id": EXAMPLE_ISO_ID, "device": "ide2"}
    )

    assert result.structured_content["device"] == "ide2"
    assert b'"device":"ide2"' in fake.requests[-1].read()


async def test_a_closed_gate_is_explained_and_nothing_is_posted(writer: Client, fake: FakeHostUp):
    result = await writer.call_tool(
        "mount_vps_iso", {"vps_id": "vps_demoblocked", "iso_id": "iso_01hxb7debian12netinst000"}
    )

    assert result.is_error is True
    problem = result.structured_content
    assert (problem["code"], problem["gate"], problem["gateCode"]) == ("action_blocked", "canMount", "pending_order")
    assert "The VPS has a pending order." in result.content[0].text
    assert [line.split()[0] for line in sent(fake)] == ["GET"]


async def test_an_iso_that_is_not_available_is_refused_before_posting(writer: Client, fake: FakeHostUp):
    result = await writer.call_tool("mount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "iso_id": "iso_notonthisvps"})

    assert result.structured_content["code"] == "iso_not_found"
    assert EXAMPLE_ISO_ID in result.structured_content["detail"]
    assert [line.split()[0] for line in sent(fake)] == ["GET"]


@pytest.mark.parametrize(
    ("arguments", "code"), [({"iso_id": "ubuntu.iso"}, "invalid_iso_id"), ({"vps_id": "1.2.3.4"}, "invalid_vps_id")]
)
async def test_malformed_ids_are_refused_before_any_request(writer: Client, fake: FakeHostUp, arguments, code):
    result = await writer.call_tool("mount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "iso_id": EXAMPLE_ISO_ID} | arguments)

    assert result.structured_content["code"] == code
    assert [line for line in sent(fake) if line.startswith("POST")] == []


async def test_a_device_outside_ide0_to_ide3_is_rejected(writer: Client, fake: FakeHostUp):
    result = await writer.call_tool(
        "mount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "iso_id": EXAMPLE_ISO_ID, "device": "scsi0"}
    )

    assert result.is_error is True
    assert fake.requests == []


async def test_unmount_defaults_to_hostups_ide2_and_returns_the_device(writer: Client, fake: FakeHostUp):
    result = await writer.call_tool("unmount_vps_iso", {"vps_id": EXAMPLE_VPS_ID})

    assert result.structured_content == {"device": "ide2"}
    assert "Unmounted ide2" in result.content[0].text
    assert fake.requests[-1].read() == b"{}"


async def test_write_errors_name_the_write_scopes(fake: FakeHostUp, mode: str):
    server = build_server(writes_config(NO_SCOPE_KEY), transport=fake.transport(), retry=FAST_RETRY)
    async with Client(server, mode=mode) as client:
        result = await client.call_tool("mount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "iso_id": EXAMPLE_ISO_ID})

    assert result.structured_content["status"] == 403
    assert "lacks the write:vm and write:storage scope" in result.content[0].text
    # The pre-check could not read the state (403), so HostUp itself was asked and refused.
    assert [request.method for request in fake.requests] == ["GET", "POST"]


# --- download and jobs --------------------------------------------------------------------------

DOWNLOAD = {"vps_id": "vps_demoempty", "url": "https://example.com/debian-12.iso", "filename": "debian-12.iso"}


async def test_a_download_is_queued_and_followed_to_completion(writer: Client, fake: FakeHostUp):
    queued = await writer.call_tool("download_vps_iso", DOWNLOAD | {"decompress": "none"})
    operation = queued.structured_content["operation"]
    first = await writer.call_tool("get_job", {"job_id": operation["jobId"]})
    second = await writer.call_tool("get_job", {"job_id": operation["pollUrl"]})
    media = await writer.call_tool("list_vps_iso_media", {"vps_id": "vps_demoempty"})

    assert operation["status"] == "queued"
    assert operation["pollUrl"] == f"/api/jobs/{operation['jobId']}"
    assert f"get_job(job_id={operation['jobId']})" in queued.content[0].text
    assert first.content[0].text.startswith(f"job {operation['jobId']}: running 50% (Downloading debian-12.iso)")
    assert "call get_job again" in first.content[0].text
    assert second.content[0].text.startswith(f"job {operation['jobId']}: completed 100%")
    assert second.structured_content["data"]["isCompleted"] is True
    assert [iso["name"] for iso in media.structured_content["available"]] == ["debian-12.iso"]
    assert b'"decompress":"none"' in next(r for r in fake.requests if r.method == "POST").read()


async def test_a_file_already_in_the_library_is_reported_as_ready(writer: Client):
    result = await writer.call_tool(
        "download_vps_iso", DOWNLOAD | {"vps_id": EXAMPLE_VPS_ID, "filename": "ubuntu-24.04-live-server-amd64.iso"}
    )

    assert result.structured_content["operation"]["status"] == "completed"
    assert result.structured_content["operation"]["pollUrl"] is None
    assert "already in the library" in result.content[0].text


async def test_a_closed_upload_gate_stops_the_download(writer: Client, fake: FakeHostUp):
    result = await writer.call_tool("download_vps_iso", DOWNLOAD | {"vps_id": "vps_demoblocked"})

    assert result.structured_content["gate"] == "canUpload"
    assert [request.method for request in fake.requests] == ["GET"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"url": "ftp://example.com/a.iso"}, "invalid_url"),
        ({"url": "https://example.com/a b.iso"}, "invalid_url"),
        ({"filename": "../etc/passwd"}, "invalid_filename"),
        ({"filename": ""}, "invalid_filename"),
    ],
)
async def test_bad_urls_and_filenames_never_reach_hostup(writer: Client, fake: FakeHostUp, change: dict, code: str):
    result = await writer.call_tool("download_vps_iso", DOWNLOAD | change)

    assert result.structured_content["code"] == code
    assert [request.method for request in fake.requests if request.method == "POST"] == []


# --- delete ------------------------------------------------------------------------------------

DELETE = {"vps_id": EXAMPLE_VPS_ID, "volid": EXAMPLE_ISO_ID}


async def test_delete_without_confirm_is_a_preview_and_deletes_nothing(writer: Client, fake: FakeHostUp):
    result = await writer.call_tool("delete_vps_iso", DELETE)

    assert result.is_error is False
    assert result.structured_content == {
        "deleted": False,
        "volid": EXAMPLE_ISO_ID,
        "iso": DOCUMENTED_200["available"][0],
        "mountedIn": ["ide2"],
    }
    text = result.content[0].text
    assert text.startswith("PREVIEW — nothing was deleted.")
    assert '"Ubuntu 24.04 LTS" (ubuntu-24.04-live-server-amd64.iso, 5.9 GB)' in text
    assert "currently mounted in ide2" in text
    assert text.endswith("Call again with confirm=true if the user agrees.")
    assert "DELETE" not in " ".join(sent(fake))


async def test_delete_with_confirm_deletes(writer: Client, fake: FakeHostUp):
    result = await writer.call_tool("delete_vps_iso", DELETE | {"confirm": True})
    after = await writer.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})

    assert result.structured_content == {"deleted": True, "volid": EXAMPLE_ISO_ID, "mountedIn": []}
    assert sent(fake)[0] == f"DELETE /api/v2/vps/{EXAMPLE_VPS_ID}/iso/{EXAMPLE_ISO_ID}"
    assert after.structured_content["available"] == []


async def test_a_preview_of_an_unknown_iso_is_an_error(writer: Client):
    result = await writer.call_tool("delete_vps_iso", DELETE | {"volid": "iso_gone"})

    assert result.structured_content["code"] == "iso_not_found"


@pytest.mark.parametrize(
    ("action", "confirm", "deleted"), [("accept", True, True), ("accept", False, False), ("decline", None, False)]
)
async def test_a_client_that_can_ask_the_user_asks_instead_of_previewing(
    fake: FakeHostUp, mode: str, action, confirm, deleted
):
    questions: list[str] = []

    async def answer(context: Any, params: Any) -> ElicitResult:
        questions.append(params.message)
        return ElicitResult(action=action, content=None if confirm is None else {"confirm": confirm})

    server = build_server(writes_config(), transport=fake.transport(), retry=FAST_RETRY)
    async with Client(server, mode=mode, elicitation_callback=answer) as client:
        result = await client.call_tool("delete_vps_iso", DELETE)

    (question,) = questions
    assert "Ubuntu 24.04 LTS" in question
    assert "mounted in ide2" in question
    assert result.structured_content["deleted"] is deleted
    assert ("DELETE" in " ".join(sent(fake))) is deleted
    if not deleted:
        assert "nothing was deleted" in result.content[0].text
