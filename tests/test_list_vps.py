"""list_vps and get_job through the protocol; the IP hint of list_vps_iso_media."""

from __future__ import annotations

import httpx
import pytest
from mcp import Client
from pydantic import SecretStr

from hostup_mcp.config import Config
from hostup_mcp.hostup.sandbox import SANDBOX_VPS
from hostup_mcp.server import build_server
from tests.conftest import FAST_RETRY
from tests.fake_hostup import NO_SCOPE_KEY, FakeHostUp
from tests.results import problem_of

pytestmark = pytest.mark.anyio
ALL_IDS = list(SANDBOX_VPS)


async def test_list_vps_pages_through_with_the_cursor(client: Client, fake: FakeHostUp):
    first = await client.call_tool("list_vps", {})
    cursor = first.structured_content["nextCursor"]
    second = await client.call_tool("list_vps", {"cursor": cursor})

    assert [vps["id"] for vps in first.structured_content["data"]] == ALL_IDS[:2]
    assert f"More VPS exist: call list_vps again with cursor={cursor}." in first.content[0].text
    assert [vps["id"] for vps in second.structured_content["data"]] == ALL_IDS[2:]
    assert second.structured_content["nextCursor"] is None
    assert "More VPS" not in second.content[0].text
    assert [request.url.params.get("cursor") for request in fake.requests] == [None, cursor]


async def test_list_vps_renders_one_compact_line_per_vps_and_keeps_every_field_in_the_json(client: Client):
    result = await client.call_tool("list_vps", {"limit": 1})

    lines = result.content[0].text.splitlines()
    assert lines[1] == 'vps_01hxa3b4c5d6e7f8g9h0j1k2m3 app-01 192.0.2.10 active running "Ubuntu 24.04"'
    assert result.structured_content["data"][0] == SANDBOX_VPS["vps_01hxa3b4c5d6e7f8g9h0j1k2m3"][0]


async def test_list_vps_finds_the_vps_by_its_primary_ip(client: Client, fake: FakeHostUp):
    result = await client.call_tool("list_vps", {"primary_ip": "192.0.2.11"})

    assert [vps["id"] for vps in result.structured_content["data"]] == ["vps_demoblocked"]
    assert fake.requests[-1].url.params["primaryIp"] == "192.0.2.11"


async def test_an_ip_lookup_with_no_match_says_so(client: Client):
    result = await client.call_tool("list_vps", {"primary_ip": "198.51.100.1"})

    assert result.is_error is False
    assert result.content[0].text.startswith("No VPS found.")


async def test_a_malformed_ip_is_rejected_before_any_request(client: Client, fake: FakeHostUp):
    result = await client.call_tool("list_vps", {"primary_ip": "192.0.2.999"})

    assert problem_of(result)["code"] == "invalid_ip"
    assert fake.requests == []


async def test_a_stale_cursor_gets_hostups_invalid_cursor(client: Client):
    result = await client.call_tool("list_vps", {"cursor": "not-a-cursor"})

    assert result.is_error is True
    assert problem_of(result)["code"] == "invalid_cursor"


@pytest.mark.parametrize("limit", [0, 101])
async def test_limit_outside_1_to_100_is_rejected(client: Client, fake: FakeHostUp, limit: int):
    result = await client.call_tool("list_vps", {"limit": limit})

    assert result.is_error is True
    assert fake.requests == []


async def test_list_vps_without_read_vm_names_the_scope(fake: FakeHostUp, mode: str):
    config = Config(api_key=SecretStr(NO_SCOPE_KEY), timeout_seconds=1.0)
    async with Client(build_server(config, transport=fake.transport(), retry=FAST_RETRY), mode=mode) as client:
        result = await client.call_tool("list_vps", {})

    assert problem_of(result)["status"] == 403
    assert "lacks the read:vm scope" in result.content[0].text


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("192.0.2.10", "call list_vps with primary_ip=192.0.2.10"),
        ("2001:db8::10", "call list_vps with primary_ip=2001:db8::10"),
        ("app-01.example.com", "It looks like a hostname: call list_vps"),
    ],
)
async def test_an_ip_or_hostname_as_vps_id_points_to_list_vps(client: Client, fake: FakeHostUp, value: str, hint: str):
    result = await client.call_tool("list_vps_iso_media", {"vps_id": value})

    assert problem_of(result)["code"] == "invalid_vps_id"
    assert hint in result.content[0].text
    assert fake.requests == []


async def test_get_job_reports_an_unknown_job_in_hostups_words(client: Client):
    result = await client.call_tool("get_job", {"job_id": "job_doesnotexist"})

    assert result.is_error is True
    problem = problem_of(result)
    assert (problem["status"], problem["code"], problem["title"], problem["detail"]) == (
        404,
        "NOT_FOUND",
        "Not Found",
        "Job not found",
    )
    assert "no such job" in result.content[0].text


@pytest.mark.parametrize("job_id", ["", "job with spaces", "../../api/v2/vps", "job_x?y=1", "j" * 200])
async def test_get_job_rejects_malformed_ids_before_any_request(client: Client, fake: FakeHostUp, job_id: str):
    result = await client.call_tool("get_job", {"job_id": job_id})

    assert problem_of(result)["code"] == "invalid_job_id"
    assert fake.requests == []


@pytest.mark.parametrize("ip", ["fe80::1%eth0", " 192.0.2.11", "192.0.2.11\n"])
async def test_primary_ip_refuses_zone_ids_and_padding_instead_of_rewriting_them(client: Client, fake: FakeHostUp, ip):
    result = await client.call_tool("list_vps", {"primary_ip": ip})

    assert problem_of(result)["code"] == "invalid_ip"
    assert fake.requests == []


async def test_primary_ip_is_sent_exactly_as_given(client: Client, fake: FakeHostUp):
    await client.call_tool("list_vps", {"primary_ip": "2001:DB8::0010"})

    assert fake.requests[-1].url.params["primaryIp"] == "2001:DB8::0010"


async def test_a_cursor_of_any_length_hostup_gives_goes_back_exactly():
    """HostUp's cursors are opaque and of HostUp's length; a 1,024-character bound once refused a longer one."""
    cursor = "eyJ" + "x" * 5000
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params.get("cursor"))
        following = None if seen[-1] else cursor
        return httpx.Response(200, json={"data": [{"id": "vps_a"}], "nextCursor": following})

    config = Config(api_key=SecretStr("hu_key"), timeout_seconds=2)
    async with Client(build_server(config, transport=httpx.MockTransport(handler), retry=FAST_RETRY)) as client:
        first = await client.call_tool("list_vps", {})
        second = await client.call_tool("list_vps", {"cursor": first.structured_content["nextCursor"]})

    assert second.is_error is False
    assert seen == [None, cursor]
