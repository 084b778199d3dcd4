"""Helpers to run the installed `hostup-mcp` console script and talk raw JSON-RPC to it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.fake_hostup import API_KEY
from tests.schema_check import advertised_output_schemas, assert_fits_output_schema

REPLY_TIMEOUT_SECONDS = 20


def console_script() -> str:
    beside_python = Path(sys.executable).with_name("hostup-mcp")
    found = str(beside_python) if beside_python.exists() else shutil.which("hostup-mcp")
    if found is None:
        pytest.fail("the hostup-mcp console script is not installed; run `pip install .[test]` first")
    return found


def server_env(base_url: str, **extra: str) -> dict[str, str]:
    return {"HOSTUP_API_KEY": API_KEY, "HOSTUP_BASE_URL": base_url, "HOSTUP_TIMEOUT": "5", **extra}


def initialize(protocol: str, request_id: int = 1) -> dict[str, Any]:
    params = {"protocolVersion": protocol, "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}
    return {"jsonrpc": "2.0", "id": request_id, "method": "initialize", "params": params}


def tool_call(request_id: int, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    params = {"name": tool, "arguments": arguments}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


def run_once(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Start the console script with only `env` (plus PATH) and no stdin; for start-up failures."""
    return subprocess.run(
        [console_script(), *args],
        env={"PATH": os.environ.get("PATH", ""), **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


class RawSession:
    """Line-delimited JSON-RPC to the server process; read each reply before closing stdin."""

    def __init__(self, env: dict[str, str]) -> None:
        # stderr goes to a file: a pipe nobody reads could fill up and stall the server.
        self.stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in close()
        self.calls: dict[Any, str] = {}  # tools/call request id -> tool name
        self.process = subprocess.Popen(
            [console_script()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env={"PATH": os.environ.get("PATH", ""), **env},
            text=True,
        )

    def send(self, message: dict[str, Any] | str) -> None:
        if isinstance(message, dict) and message.get("method") == "tools/call":
            self.calls[message["id"]] = message["params"]["name"]
        assert self.process.stdin is not None
        self.process.stdin.write((message if isinstance(message, str) else json.dumps(message)) + "\n")
        self.process.stdin.flush()

    def reply(self) -> dict[str, Any]:
        """The next message; a tool result is checked against its outputSchema, as strict clients do."""
        assert self.process.stdout is not None
        with ThreadPoolExecutor(max_workers=1) as reader:
            line = reader.submit(self.process.stdout.readline)
            try:
                text = line.result(timeout=REPLY_TIMEOUT_SECONDS)
            except TimeoutError:
                self.process.kill()  # ends the readline too
                pytest.fail(f"the server sent nothing for {REPLY_TIMEOUT_SECONDS} s")
        message = json.loads(text)  # anything but JSON on stdout (or nothing: the server died) fails here
        tool = self.calls.get(message.get("id"))
        if tool is not None and "result" in message:
            assert_fits_output_schema(tool, message["result"], advertised_output_schemas().get(tool))
        return message

    def reply_to(self, request_id: int) -> dict[str, Any]:
        """The reply with this id, skipping notifications and replies to other requests."""
        while (message := self.reply()).get("id") != request_id:
            pass
        return message

    def handshake(self, protocol: str = "2025-11-25") -> dict[str, Any]:
        self.send(initialize(protocol))
        answer = self.reply_to(1)
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return answer

    def close(self) -> tuple[str, str, int]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.close()
        code = self.process.wait(timeout=10)
        stdout = self.process.stdout.read()
        self.process.stdout.close()
        self.stderr.seek(0)
        stderr = self.stderr.read()
        self.stderr.close()
        return stdout, stderr, code
