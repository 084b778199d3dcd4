"""Running the installed console script as a Streamable HTTP server, and talking to it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
from mcp import Client
from mcp.client.session import ElicitationFnT
from mcp.client.streamable_http import streamable_http_client

from tests.stdio_session import console_script

STARTED = re.compile(r"serving MCP over Streamable HTTP at (http://\S+/mcp)")
START_TIMEOUT_SECONDS = 20


@dataclass
class HttpServer:
    url: str  # …/mcp
    process: subprocess.Popen[bytes]
    log: Path
    kept: str | None = None  # the log as it was when the server stopped (its file is gone by then)

    @property
    def base(self) -> str:
        return self.url.removesuffix("/mcp")

    def stderr(self) -> str:
        return self.kept if self.kept is not None else self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=30)


@contextmanager
def http_server(env: dict[str, str], *args: str) -> Iterator[HttpServer]:
    """`hostup-mcp --transport http --port 0 *args` with exactly `env`; stopped with SIGTERM afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "stderr.log"
        with log.open("wb") as stderr:
            process = subprocess.Popen(
                [console_script(), "--transport", "http", "--port", "0", *args],
                env={"PATH": os.environ.get("PATH", ""), **env},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        server = HttpServer(url="", process=process, log=log)
        try:
            server.url = wait_until_serving(server)
            yield server
        finally:
            server.stop()
            server.kept = server.stderr()


def wait_until_serving(server: HttpServer) -> str:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        found = STARTED.search(server.stderr())
        if found:
            url = found.group(1)
            if ready(url.removesuffix("/mcp")):
                return url
        if server.process.poll() is not None:
            raise AssertionError(f"the server exited ({server.process.returncode}): {server.stderr()}")
        time.sleep(0.05)
    raise AssertionError(f"the server did not start: {server.stderr()}")


def ready(base: str) -> bool:
    try:
        return httpx2.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx2.HTTPError:
        return False


@asynccontextmanager
async def http_client(
    url: str, mode: str = "auto", elicitation: ElicitationFnT | None = None, **headers: str
) -> AsyncIterator[Client]:
    """The SDK client over Streamable HTTP, sending `headers` (e.g. authorization) with every request;
    with `elicitation`, it declares it can ask the user and answers through that function."""
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=60)) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode, elicitation_callback=elicitation) as client,
    ):
        yield client


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}
