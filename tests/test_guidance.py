"""A host that shows the model only the JSON (Claude Code, Codex) and one that shows only the text
(Gemini CLI) must lead it to the same decision: what the text says to act on is in `guidance`, in the
same words, and the text ends with the same next step."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp import Client

from hostup_mcp.config import Config
from hostup_mcp.server import build_server
from hostup_mcp.tools.results import DEMO_NOTICE
from tests.fake_hostup import EXAMPLE_ISO_ID, EXAMPLE_VPS_ID
from tests.results import guidance_of, text_of

pytestmark = pytest.mark.anyio


@pytest.fixture
async def sandbox(mode: str) -> AsyncIterator[Client]:
    config = Config.from_env({"HOSTUP_ENABLE_WRITES": "1"}, demo=True)
    async with Client(build_server(config), mode=mode) as client:
        yield client


# tool, arguments, words that must lead to the decision (in the JSON's guidance and in the text alike)
DECISIONS = {
    "delete preview": (
        "delete_vps_iso",
        {"vps_id": EXAMPLE_VPS_ID, "volid": EXAMPLE_ISO_ID},
        ["PREVIEW — nothing was deleted", "ask whether to delete it", "confirm=true only if they agree"],
    ),
    "queued download": (
        "download_vps_iso",
        {"vps_id": "vps_demoempty", "url": "https://example.com/debian-12.iso", "filename": "debian-12.iso"},
        ["Download queued: job job_", "Follow it with get_job(job_id=job_", "until it completes or fails"],
    ),
    "next page": ("list_vps", {"limit": 1}, ["More VPS exist: call list_vps again with cursor=c1."]),
    "closed gates": (
        "list_vps_iso_media",
        {"vps_id": "vps_demoblocked"},
        ["code pending_order", "Mounting an ISO and adding an ISO are blocked now: do not suggest or try them"],
    ),
    "job to follow": ("get_job", {"job_id": "job_01hxa3b4c5d6e7f8g9h0j1k2m3"}, ["job job_01hxa3b4c5d6e7f8g9h0j1k2m3:"]),
    "mounted": (
        "mount_vps_iso",
        {"vps_id": EXAMPLE_VPS_ID, "iso_id": EXAMPLE_ISO_ID, "device": "ide3"},
        ["Call list_vps_iso_media for the canonical mount state"],
    ),
}


@pytest.mark.parametrize("case", list(DECISIONS))
async def test_the_json_alone_and_the_text_alone_say_what_to_do(sandbox: Client, case: str):
    tool, arguments, words = DECISIONS[case]
    result = await sandbox.call_tool(tool, arguments)
    guidance = guidance_of(result)
    said = f"{guidance['summary']} {guidance.get('nextStep', '')}"

    assert result.is_error is False, text_of(result)
    for phrase in words:
        assert phrase in said, f"the JSON does not say {phrase!r}: {said}"
        assert phrase in text_of(result), f"the text does not say {phrase!r}"
    if "nextStep" in guidance:
        assert text_of(result).endswith(guidance["nextStep"])


async def test_demo_data_is_named_as_such_in_the_json_words_too(sandbox: Client):
    result = await sandbox.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})

    assert guidance_of(result)["summary"].startswith(DEMO_NOTICE)
    assert result.structured_content["demo"] is True
    assert text_of(result).startswith(DEMO_NOTICE)


async def test_the_guidance_comes_first_and_hostups_document_follows_whole(sandbox: Client):
    result = await sandbox.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})

    assert next(iter(result.structured_content)) == "guidance"
    assert set(result.structured_content) == {
        "guidance",
        "available",
        "mounted",
        "bootOrder",
        "availableDevices",
        "actions",
        "demo",
    }
