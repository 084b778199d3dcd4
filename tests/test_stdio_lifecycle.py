"""The installed server over real stdio: load, cancellation, protocol eras and start-up refusals."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from hostup_mcp import __version__
from hostup_mcp.config import Config
from hostup_mcp.server import build_server
from tests.fake_hostup import API_KEY, DOCUMENTED_200, EXAMPLE_VPS_ID, FakeHostUp, serve_http
from tests.results import hostup_document, problem_of
from tests.scripted_server import ScriptedServer, Step
from tests.stdio_session import RawSession, console_script, initialize, run_once, server_env


@pytest.fixture
def base_url() -> Iterator[str]:
    with serve_http(FakeHostUp()) as url:
        yield url


@pytest.mark.anyio
async def test_100_concurrent_calls_over_one_session_are_all_answered_correctly(base_url: str):
    ids = [EXAMPLE_VPS_ID if index % 2 else f"vps_missing{index}" for index in range(100)]
    results: dict[int, Any] = {}
    params = StdioServerParameters(command=console_script(), env=server_env(base_url))

    async with Client(params) as client:

        async def call(index: int) -> None:
            results[index] = await client.call_tool("list_vps_iso_media", {"vps_id": ids[index]})

        started = time.monotonic()
        async with anyio.create_task_group() as group:
            for index in range(len(ids)):
                group.start_soon(call, index)
        elapsed = time.monotonic() - started

    assert len(results) == 100
    for index, result in results.items():
        if ids[index] == EXAMPLE_VPS_ID:
            assert hostup_document(result) == DOCUMENTED_200
        else:
            assert problem_of(result)["instance"] == f"/api/v2/vps/{ids[index]}/iso"
    assert elapsed < 10


def test_a_cancelled_call_aborts_its_request_and_the_server_stays_responsive():
    stalled = f"/api/v2/vps/{EXAMPLE_VPS_ID}/iso"
    with ScriptedServer().running() as hostup:
        hostup.script(stalled, Step(stall_before_headers=True))
        session = RawSession(server_env(hostup.base_url, HOSTUP_TIMEOUT="30"))
        session.handshake()
        session.send(
            {
                "jsonrpc": "2.0",
                "id": 7,
                "method": "tools/call",
                "params": {"name": "list_vps_iso_media", "arguments": {"vps_id": EXAMPLE_VPS_ID}},
            }
        )
        deadline = time.monotonic() + 10
        while not hostup.requests_to(stalled) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert hostup.requests_to(stalled), "the call never reached HostUp"

        session.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 7}})
        aborted = hostup.connection_closed.wait(timeout=5)
        session.send({"jsonrpc": "2.0", "id": 8, "method": "tools/list"})
        listed = session.reply_to(8)
        _, stderr, code = session.close()

    assert aborted, "HostUp never saw the cancelled request's connection close"
    assert "list_vps_iso_media" in [tool["name"] for tool in listed["result"]["tools"]]
    assert code == 0
    assert API_KEY not in stderr


@pytest.mark.anyio
async def test_legacy_and_modern_clients_see_the_same_tool_surface(base_url: str):
    surfaces = {}
    for mode in ("legacy", "auto"):  # in memory: the same server code, both eras
        async with Client(build_server(Config(api_key=None)), mode=mode) as client:
            surfaces[client.protocol_version] = (await client.list_tools()).model_dump(mode="json")["tools"]
    session = RawSession(server_env(base_url))
    session.handshake("2025-06-18")
    session.send({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    oldest = session.reply_to(2)["result"]["tools"]
    session.close()

    assert set(surfaces) == {"2025-11-25", "2026-07-28"}
    assert surfaces["2025-11-25"] == surfaces["2026-07-28"]
    assert [tool["name"] for tool in oldest] == [tool["name"] for tool in surfaces["2026-07-28"]]
    assert oldest[0]["inputSchema"] == surfaces["2026-07-28"][0]["input_schema"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HOSTUP_BASE_URL": "http://cloud.hostup.se"}, "HOSTUP_BASE_URL must use https://"),
        ({"HOSTUP_TIMEOUT": "ten"}, "HOSTUP_TIMEOUT must be a number of seconds, got 'ten'"),
        ({"HOSTUP_LOG_LEVEL": "LOUD"}, "HOSTUP_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ({"HOSTUP_API_KEY": f"{API_KEY}\r\n"}, "HOSTUP_API_KEY contains spaces, line breaks"),
        ({"HOSTUP_API_KEY": f"{API_KEY} extra"}, "HOSTUP_API_KEY contains spaces, line breaks"),
    ],
)
def test_a_bad_setting_stops_the_server_with_one_clear_line(env: dict[str, str], message: str):
    result = run_once(env)

    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("hostup-mcp: configuration error: ")
    assert message in line
    assert API_KEY not in result.stderr


def test_a_malformed_first_line_does_not_kill_the_server(base_url: str):
    session = RawSession(server_env(base_url))
    session.send("\x00\x01 not json at all")
    session.send(initialize("2025-11-25"))
    answer = session.reply_to(1)
    _, _, code = session.close()

    assert answer["result"]["serverInfo"]["name"] == "hostup-mcp"
    assert code == 0


def test_console_script_and_module_entry_point_agree_on_the_version():
    script = run_once({}, "--version")
    module = subprocess.run(
        [sys.executable, "-m", "hostup_mcp", "--version"], capture_output=True, text=True, check=False, timeout=30
    )

    assert script.returncode == module.returncode == 0
    assert script.stdout == module.stdout == f"hostup-mcp {__version__}\n"
