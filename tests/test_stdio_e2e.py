"""The installed `hostup-mcp` console script over real stdio, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mcp import Client, StdioServerParameters

from tests.fake_hostup import API_KEY, DOCUMENTED_200, EXAMPLE_VPS_ID, FakeHostUp, serve_http
from tests.results import problem_of
from tests.stdio_session import RawSession, console_script, server_env


@pytest.fixture
def base_url() -> Iterator[str]:
    with serve_http(FakeHostUp()) as url:
        yield url


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_installed_server_answers_over_stdio(base_url: str, mode: str):
    params = StdioServerParameters(command=console_script(), env=server_env(base_url))
    async with Client(params, mode=mode) as client:
        tools = (await client.list_tools()).tools
        found = await client.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})
        missing = await client.call_tool("list_vps_iso_media", {"vps_id": "vps_doesnotexist"})
        server_name = client.server_info.name

    assert server_name == "hostup-mcp"
    assert [tool.name for tool in tools] == ["list_vps", "list_vps_iso_media", "get_job"]
    assert found.is_error is False and found.structured_content == DOCUMENTED_200
    assert missing.is_error is True and problem_of(missing)["status"] == 404


@pytest.mark.parametrize("protocol", ["2025-06-18", "2025-11-25"])
def test_stdio_survives_bad_lines_keeps_stdout_clean_and_exits_on_eof(base_url: str, protocol: str):
    session = RawSession(server_env(base_url, HOSTUP_LOG_LEVEL="DEBUG"))
    assert session.handshake(protocol)["result"]["protocolVersion"] == protocol

    session.send("{this is not json")
    session.send({"jsonrpc": "2.0", "id": 2, "method": "no/such/method"})
    unknown = session.reply_to(2)  # a parse-error notice may come first
    session.send(
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "list_vps_iso_media", "arguments": {"vps_id": EXAMPLE_VPS_ID}},
        }
    )
    called = session.reply()
    stdout, stderr, code = session.close()

    assert unknown["error"]["code"] == -32601
    assert called["id"] == 3 and called["result"]["structuredContent"] == DOCUMENTED_200
    assert stdout == "" and code == 0
    assert "GET /api/v2/vps/" in stderr  # DEBUG logging reached stderr...
    assert API_KEY not in stderr  # ...without the key


@pytest.mark.anyio
async def test_with_writes_enabled_a_mount_goes_through_real_http(base_url: str):
    params = StdioServerParameters(command=console_script(), args=["--enable-writes"], env=server_env(base_url))
    async with Client(params) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        mounted = await client.call_tool(
            "mount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "iso_id": "iso_01hxa3b4c5d6e7f8g9h0j1k2m3", "device": "ide3"}
        )

    assert names[-4:] == ["mount_vps_iso", "unmount_vps_iso", "download_vps_iso", "delete_vps_iso"]
    assert mounted.is_error is False
    assert mounted.structured_content == {"device": "ide3", "isoId": "iso_01hxa3b4c5d6e7f8g9h0j1k2m3"}
