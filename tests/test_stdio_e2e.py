"""The installed `hostup-mcp` console script over real stdio, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from tests.fake_hostup import API_KEY, DOCUMENTED_200, EXAMPLE_VPS_ID, FakeHostUp, serve_http


def console_script() -> str:
    beside_python = Path(sys.executable).with_name("hostup-mcp")
    found = str(beside_python) if beside_python.exists() else shutil.which("hostup-mcp")
    if found is None:
        pytest.fail("the hostup-mcp console script is not installed; run `pip install .[test]` first")
    return found


@pytest.fixture
def base_url() -> Iterator[str]:
    with serve_http(FakeHostUp()) as url:
        yield url


def server_env(base_url: str, **extra: str) -> dict[str, str]:
    return {"HOSTUP_API_KEY": API_KEY, "HOSTUP_BASE_URL": base_url, "HOSTUP_TIMEOUT": "5", **extra}


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
    assert [tool.name for tool in tools] == ["list_vps_iso_media"]
    assert found.is_error is False and found.structured_content == DOCUMENTED_200
    assert missing.is_error is True and missing.structured_content["status"] == 404


class RawSession:
    """Line-delimited JSON-RPC to a subprocess, reading each reply before sending more."""

    def __init__(self, env: dict[str, str]) -> None:
        # stderr goes to a file: a pipe nobody reads could fill up and stall the server.
        self.stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [console_script()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env={"PATH": os.environ.get("PATH", ""), **env},
            text=True,
        )

    def send(self, message: dict[str, Any] | str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((message if isinstance(message, str) else json.dumps(message)) + "\n")
        self.process.stdin.flush()

    def reply(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        return json.loads(self.process.stdout.readline())  # anything but JSON on stdout fails here

    def close(self) -> tuple[str, str, int]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        code = self.process.wait(timeout=10)
        stdout = self.process.stdout.read()
        self.process.stdout.close()
        self.stderr.seek(0)
        stderr = self.stderr.read()
        self.stderr.close()
        return stdout, stderr, code


def initialize(protocol: str) -> dict[str, Any]:
    params = {"protocolVersion": protocol, "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}
    return {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params}


@pytest.mark.parametrize("protocol", ["2025-06-18", "2025-11-25"])
def test_stdio_survives_bad_lines_keeps_stdout_clean_and_exits_on_eof(base_url: str, protocol: str):
    session = RawSession(server_env(base_url, HOSTUP_LOG_LEVEL="DEBUG"))
    session.send(initialize(protocol))
    assert session.reply()["result"]["protocolVersion"] == protocol
    session.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    session.send("{this is not json")
    session.send({"jsonrpc": "2.0", "id": 2, "method": "no/such/method"})
    unknown = session.reply()
    while unknown.get("id") != 2:  # a parse-error notice may come first
        unknown = session.reply()
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


def test_a_bad_configuration_stops_the_server_with_one_clear_line():
    result = subprocess.run(
        [console_script()],
        env={"PATH": os.environ.get("PATH", ""), "HOSTUP_BASE_URL": "http://cloud.hostup.se"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "hostup-mcp: configuration error: HOSTUP_BASE_URL must use https:// (plain http is allowed only for "
        "localhost/127.0.0.1/::1, for testing), got 'http://cloud.hostup.se'"
    ]
