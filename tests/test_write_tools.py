"""The write tools through the protocol: read-only by default, gates, previews, confirmations, scopes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.types import ElicitResult
from pydantic import SecretStr

from hostup_mcp.config import Config
from hostup_mcp.hostup.sandbox import Sandbox
from hostup_mcp.server import build_server
from tests.conftest import FAST_RETRY
from tests.fake_hostup import (
    API_KEY,
    BLOCKED_200,
    DOCUMENTED_200,
    EXAMPLE_ISO_ID,
    EXAMPLE_VPS_ID,
    NO_SCOPE_KEY,
    FakeHostUp,
)
from tests.results import hostup_document, problem_of

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
    await writer.call_tool("unmount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "device": "ide2"})
    fake.requests.clear()

    result = await writer.call_tool("mount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "iso_id": EXAMPLE_ISO_ID})

    assert result.is_error is False
    assert hostup_document(result) == {"device": "ide2", "isoId": EXAMPLE_ISO_ID}
    assert f"Mounted {EXAMPLE_ISO_ID} in ide2" in result.content[0].text
    assert sent(fake) == [
        f"GET /api/v2/vps/{EXAMPLE_VPS_ID}/iso",
        f"POST /api/v2/vps/{EXAMPLE_VPS_ID}/iso/actions/mount",
    ]
    assert fake.requests[-1].read() == f'{{"isoId":"{EXAMPLE_ISO_ID}"}}'.encode()


async def test_mounting_an_iso_that_is_already_mounted_says_where_and_sends_nothing(writer: Client, fake: FakeHostUp):
    result = await writer.call_tool("mount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "iso_id": EXAMPLE_ISO_ID})
    again_in_ide2 = await writer.call_tool(
        "mount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "iso_id": EXAMPLE_ISO_ID, "device": "ide2"}
    )

    assert result.is_error is False
    assert hostup_document(result) == hostup_document(again_in_ide2) == {"device": "ide2", "isoId": EXAMPLE_ISO_ID}
    assert (
        result.content[0].text == f"{EXAMPLE_ISO_ID} is already mounted in ide2 on {EXAMPLE_VPS_ID}; nothing was sent."
    )
    assert [line.split()[0] for line in sent(fake)] == ["GET", "GET"]


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

    problem = problem_of(result)
    assert (problem["code"], problem["gate"], problem["gateCode"]) == ("action_blocked", "canMount", "pending_order")
    assert "The VPS has a pending order." in result.content[0].text
    assert [line.split()[0] for line in sent(fake)] == ["GET"]


async def test_an_iso_that_is_not_available_is_refused_before_posting(writer: Client, fake: FakeHostUp):
    result = await writer.call_tool("mount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "iso_id": "iso_notonthisvps"})

    assert problem_of(result)["code"] == "iso_not_found"
    assert EXAMPLE_ISO_ID in problem_of(result)["detail"]
    assert [line.split()[0] for line in sent(fake)] == ["GET"]


@pytest.mark.parametrize(
    ("arguments", "code"), [({"iso_id": "ubuntu.iso"}, "invalid_iso_id"), ({"vps_id": "1.2.3.4"}, "invalid_vps_id")]
)
async def test_malformed_ids_are_refused_before_any_request(writer: Client, fake: FakeHostUp, arguments, code):
    result = await writer.call_tool("mount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "iso_id": EXAMPLE_ISO_ID} | arguments)

    assert problem_of(result)["code"] == code
    assert [line for line in sent(fake) if line.startswith("POST")] == []


async def test_a_device_outside_ide0_to_ide3_is_rejected(writer: Client, fake: FakeHostUp):
    result = await writer.call_tool(
        "mount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "iso_id": EXAMPLE_ISO_ID, "device": "scsi0"}
    )

    assert result.is_error is True
    assert fake.requests == []


async def test_unmount_defaults_to_hostups_ide2_and_returns_the_device(writer: Client, fake: FakeHostUp):
    result = await writer.call_tool("unmount_vps_iso", {"vps_id": EXAMPLE_VPS_ID})

    assert hostup_document(result) == {"device": "ide2"}
    assert "Unmounted ide2" in result.content[0].text
    assert fake.requests[-1].read() == b"{}"


async def test_write_errors_name_the_write_scopes(fake: FakeHostUp, mode: str):
    server = build_server(writes_config(NO_SCOPE_KEY), transport=fake.transport(), retry=FAST_RETRY)
    async with Client(server, mode=mode) as client:
        result = await client.call_tool("mount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "iso_id": EXAMPLE_ISO_ID})

    assert problem_of(result)["status"] == 403
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

    assert problem_of(result)["gate"] == "canUpload"
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

    assert problem_of(result)["code"] == code
    assert [request.method for request in fake.requests if request.method == "POST"] == []


# --- delete ------------------------------------------------------------------------------------

DELETE = {"vps_id": EXAMPLE_VPS_ID, "volid": EXAMPLE_ISO_ID}


async def test_delete_without_confirm_is_a_preview_and_deletes_nothing(writer: Client, fake: FakeHostUp):
    result = await writer.call_tool("delete_vps_iso", DELETE)

    assert result.is_error is False
    assert hostup_document(result) == {
        "deleted": False,
        "volid": EXAMPLE_ISO_ID,
        "iso": DOCUMENTED_200["available"][0],
        "mountedIn": ["ide2"],
        "response": None,
    }
    assert result.content[0].text == (
        'PREVIEW — nothing was deleted. Deleting would permanently remove "Ubuntu 24.04 LTS" (file '
        f"ubuntu-24.04-live-server-amd64.iso, 5.9 GB, id {EXAMPLE_ISO_ID}) from the ISO library. It is mounted in "
        f"ide2 on {EXAMPLE_VPS_ID}: that VPS loses the disc.\n"
        "Show this to the user and ask whether to delete it; call again with confirm=true only if they agree."
    )
    assert "DELETE" not in " ".join(sent(fake))


BLOCKED_DEBIAN = {"vps_id": "vps_demoblocked", "volid": "iso_01hxb7debian12netinst000"}


async def test_a_preview_of_an_iso_with_null_names_fits_the_schema(writer: Client):
    result = await writer.call_tool("delete_vps_iso", BLOCKED_DEBIAN)

    assert result.is_error is False
    assert result.structured_content["iso"] == BLOCKED_200["available"][0]  # nulls kept, not dropped
    assert '"debian-12.8.0-amd64-netinst.iso" (0.6 GB' in result.content[0].text
    assert "null" not in result.content[0].text


async def test_delete_with_confirm_deletes_and_reports_where_it_was_mounted(writer: Client, fake: FakeHostUp):
    result = await writer.call_tool("delete_vps_iso", DELETE | {"confirm": True})
    after = await writer.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})

    assert hostup_document(result) == {
        "deleted": True,
        "volid": EXAMPLE_ISO_ID,
        "iso": DOCUMENTED_200["available"][0],
        "mountedIn": ["ide2"],
        "response": None,
    }
    assert "It was mounted in ide2" in result.content[0].text
    assert sent(fake)[:2] == [
        f"GET /api/v2/vps/{EXAMPLE_VPS_ID}/iso",
        f"DELETE /api/v2/vps/{EXAMPLE_VPS_ID}/iso/{EXAMPLE_ISO_ID}",
    ]
    assert after.structured_content["available"] == []


@pytest.mark.parametrize("confirm", ["yes", "true", "1", 1, "on", 1.0, [True], {"value": True}])
async def test_only_the_json_value_true_confirms_a_deletion(writer: Client, fake: FakeHostUp, confirm: object):
    result = await writer.call_tool("delete_vps_iso", DELETE | {"confirm": confirm})

    assert problem_of(result)["code"] == "invalid_arguments"
    assert problem_of(result)["errors"][0]["pointer"] == "/confirm"
    assert "must be the JSON boolean true or false" in result.content[0].text
    assert fake.requests == []


async def test_a_preview_of_an_unknown_iso_is_an_error(writer: Client, fake: FakeHostUp):
    result = await writer.call_tool("delete_vps_iso", DELETE | {"volid": "iso_gone", "confirm": True})

    assert problem_of(result)["code"] == "iso_not_found"
    assert "DELETE" not in " ".join(sent(fake))


def asking_client(fake: FakeHostUp, mode: str, action: str, content: dict | None, seen: list[Any], *, demo=False):
    async def answer(context: Any, params: Any) -> ElicitResult:
        seen.append(params)
        return ElicitResult(action=action, content=content)

    config = writes_config().as_demo() if demo else writes_config()
    server = build_server(config, transport=None if demo else fake.transport(), retry=FAST_RETRY)
    return Client(server, mode=mode, elicitation_callback=answer)


@pytest.mark.parametrize(
    ("action", "content", "deleted", "says"),
    [
        ("accept", {"confirm": True}, True, "Deleted"),
        ("accept", {"confirm": False}, False, "The user did not tick the confirmation: nothing was deleted."),
        (
            "decline",
            None,
            False,
            "The confirmation was declined (by the user, or by a client that answers forms on its own): nothing was deleted.",
        ),
        ("cancel", None, False, "Nothing was deleted: the confirmation form was dismissed without an answer"),
    ],
)
async def test_a_client_that_can_ask_the_user_asks_instead_of_previewing(
    fake: FakeHostUp, mode: str, action, content, deleted, says
):
    seen: list[Any] = []
    async with asking_client(fake, mode, action, content, seen) as client:
        result = await client.call_tool("delete_vps_iso", DELETE)

    (question,) = seen
    assert question.message == (
        f'Permanently delete "Ubuntu 24.04 LTS" (file ubuntu-24.04-live-server-amd64.iso, 5.9 GB, id {EXAMPLE_ISO_ID}) '
        f"from the HostUp ISO library of VPS {EXAMPLE_VPS_ID}? It is mounted in ide2 on {EXAMPLE_VPS_ID}: that VPS "
        "loses the disc. This cannot be undone."
    )
    form = question.requested_schema
    assert form.get("title", "Delete ISO permanently") == "Delete ISO permanently"  # 2026-07-28 sends no title
    assert form["properties"]["confirm"]["title"] == "Yes, delete it permanently"
    assert result.structured_content["deleted"] is deleted
    assert result.structured_content["mountedIn"] == ["ide2"]
    assert ("DELETE" in " ".join(sent(fake))) is deleted
    assert says in result.content[0].text


async def test_confirm_true_from_the_model_does_not_skip_asking_the_person(fake: FakeHostUp, mode: str):
    seen: list[Any] = []
    async with asking_client(fake, mode, "decline", None, seen) as client:
        result = await client.call_tool("delete_vps_iso", DELETE | {"confirm": True})

    assert len(seen) == 1
    assert result.structured_content["deleted"] is False
    assert "DELETE" not in " ".join(sent(fake))


async def test_the_question_for_an_iso_with_null_names_reads_naturally(fake: FakeHostUp, mode: str):
    seen: list[Any] = []
    async with asking_client(fake, mode, "decline", None, seen) as client:
        result = await client.call_tool("delete_vps_iso", BLOCKED_DEBIAN)

    assert result.is_error is False
    assert seen[0].message.startswith('Permanently delete "debian-12.8.0-amd64-netinst.iso" (0.6 GB, id ')
    assert "null" not in seen[0].message
    assert "delete_vps_iso" not in seen[0].message


async def test_the_question_in_demo_mode_says_it_is_the_sandbox(fake: FakeHostUp, mode: str):
    seen: list[Any] = []
    async with asking_client(fake, mode, "decline", None, seen, demo=True) as client:
        await client.call_tool("delete_vps_iso", DELETE)

    assert seen[0].message.startswith("[Demo sandbox: nothing real is deleted] Permanently delete")


@pytest.mark.parametrize("content", [{"confirm": "yes"}, {"confirm": 1}, {}, None])
async def test_an_answer_that_does_not_fit_the_form_deletes_nothing_and_is_explained(
    fake: FakeHostUp, mode: str, content
):
    async with asking_client(fake, mode, "accept", content, []) as client:
        result = await client.call_tool("delete_vps_iso", DELETE)

    assert problem_of(result)["code"] == "unusable_answer"
    assert "hostup_mcp" not in result.content[0].text
    assert "Resolver" not in result.content[0].text
    assert "DELETE" not in " ".join(sent(fake))


# --- the sandbox behaves like a careful HostUp --------------------------------------------------


async def test_unmounting_an_empty_slot_is_an_error_not_a_success(writer: Client):
    result = await writer.call_tool("unmount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "device": "ide3"})

    assert problem_of(result)["status"] == 400
    assert "/device: No ISO is mounted in ide3." in result.content[0].text


def test_the_sandbox_mounts_an_already_mounted_iso_only_once():
    sandbox = Sandbox()
    path = f"https://sandbox.invalid/api/v2/vps/{EXAMPLE_VPS_ID}/iso/actions/mount"

    answer = sandbox.handle(httpx.Request("POST", path, json={"isoId": EXAMPLE_ISO_ID}))

    assert answer.json() == {"device": "ide2", "isoId": EXAMPLE_ISO_ID}
    assert [item["device"] for item in sandbox.iso_media[EXAMPLE_VPS_ID]["mounted"]] == ["ide2"]


async def test_get_job_with_the_example_id_from_its_description_works_in_the_demo():
    async with Client(build_server(writes_config().as_demo())) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        result = await client.call_tool("get_job", {"job_id": "job_01hxa3b4c5d6e7f8g9h0j1k2m3"})

    assert "job_01hxa3b4c5d6e7f8g9h0j1k2m3" in tools["get_job"].input_schema["properties"]["job_id"]["description"]
    assert result.is_error is False
    assert result.content[0].text.startswith("DEMO DATA")
    assert "job job_01hxa3b4c5d6e7f8g9h0j1k2m3: completed" in result.content[0].text


async def test_a_job_reads_with_one_word_for_its_state(writer: Client):
    queued = await writer.call_tool("download_vps_iso", DOWNLOAD)
    job = await writer.call_tool("get_job", {"job_id": queued.structured_content["operation"]["jobId"]})

    text = job.content[0].text
    assert "running" in text
    assert "in_progress" not in text and "active" not in text  # HostUp's own words stay in the JSON
    assert job.structured_content["data"]["state"] == "active"


async def test_two_finished_downloads_get_two_iso_ids(writer: Client):
    jobs = []
    for name in ("a.iso", "b.iso"):
        queued = await writer.call_tool("download_vps_iso", DOWNLOAD | {"filename": name})
        jobs.append(queued.structured_content["operation"]["jobId"])
    for job_id in jobs * 2:
        await writer.call_tool("get_job", {"job_id": job_id})
    media = await writer.call_tool("list_vps_iso_media", {"vps_id": "vps_demoempty"})
    ids = [iso["id"] for iso in media.structured_content["available"]]
    deleted = await writer.call_tool("delete_vps_iso", {"vps_id": "vps_demoempty", "volid": ids[0], "confirm": True})
    after = await writer.call_tool("list_vps_iso_media", {"vps_id": "vps_demoempty"})

    assert len(set(ids)) == 2
    assert deleted.structured_content["iso"]["name"] == "a.iso"
    assert deleted.structured_content["iso"]["displayName"] is None  # the freshly downloaded ISO has no name yet
    assert [iso["name"] for iso in after.structured_content["available"]] == ["b.iso"]


# --- downloads from addresses HostUp must not fetch ----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1/a.iso",
        "http://127.1/a.iso",
        "http://2130706433/a.iso",
        "http://0x7f000001/a.iso",
        "http://0.0.0.0/a.iso",
        "http://10.0.0.5/a.iso",
        "http://172.16.0.1/a.iso",
        "http://192.168.1.1/a.iso",
        "http://100.64.0.1/a.iso",
        "http://[::1]/a.iso",
        "http://[fe80::1]/a.iso",
        "http://[fd00::1]/a.iso",
        "http://[::ffff:127.0.0.1]/a.iso",
        "http://localhost:8080/a.iso",
        "http://LOCALHOST./a.iso",
        "http://foo.localhost/a.iso",
        "http://224.0.0.1/a.iso",
        "http://user:secret@example.com/a.iso",
        "http://[::1/x.iso",
        "http://example.com:99999/a.iso",
    ],
)
async def test_urls_hostup_must_not_fetch_are_refused_before_anything_is_sent(
    writer: Client, fake: FakeHostUp, url: str
):
    result = await writer.call_tool("download_vps_iso", DOWNLOAD | {"url": url})

    assert problem_of(result)["code"] == "invalid_url"
    assert "Nothing was sent to HostUp." in result.content[0].text
    assert fake.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "https://cdimage.debian.org/debian-cd/12.8.0/amd64/iso-cd/a.iso",
        "http://8.8.8.8/a.iso",
        "http://[2001:4860::1]/a.iso",
    ],
)
async def test_public_urls_are_passed_on(writer: Client, fake: FakeHostUp, url: str):
    result = await writer.call_tool("download_vps_iso", DOWNLOAD | {"url": url})

    assert result.is_error is False
    assert json.loads(fake.requests[-1].read())["url"] == url
