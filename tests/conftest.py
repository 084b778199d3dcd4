from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from mcp import Client
from pydantic import SecretStr

from hostup_mcp.config import Config
from hostup_mcp.hostup.retry import RetryPolicy
from hostup_mcp.server import build_server
from tests.fake_hostup import API_KEY, FakeHostUp
from tests.schema_check import assert_fits_output_schema

FAST_RETRY = RetryPolicy(base_backoff=0.01, max_backoff=0.02)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake() -> FakeHostUp:
    return FakeHostUp(slow_seconds=5.0)


@pytest.fixture
def config() -> Config:
    return Config(api_key=SecretStr(API_KEY), base_url="https://cloud.hostup.se", timeout_seconds=1.0)


@pytest.fixture(params=["auto", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    """Both protocol eras: 2026-07-28 (auto) and the 2025-11-25 initialize handshake (legacy)."""
    return request.param


@pytest.fixture
async def client(fake: FakeHostUp, config: Config, mode: str) -> AsyncIterator[Client]:
    server = build_server(config, transport=fake.transport(), retry=FAST_RETRY)
    async with Client(server, mode=mode) as connected:
        yield connected


class KeptRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.formatter_for_tracebacks = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        # exc_text stays empty unless some formatter ran; format the traceback here so it is scanned too.
        trace = self.formatter_for_tracebacks.formatException(record.exc_info) if record.exc_info else ""
        self.lines.append(f"{record.name} {record.getMessage()} {trace} {record.stack_info or ''}")


@pytest.fixture(autouse=True)
def key_never_leaks(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Across the whole suite: the API key appears in no log record, no output and no tool result, and
    every tool result fits its tool's outputSchema as strict clients check it.

    Set up before every other fixture of a test, so it also sees what servers log while starting and stopping.
    """
    root = logging.getLogger()
    records = KeptRecords()
    root.addHandler(records)
    monkeypatch.setattr(root, "level", logging.DEBUG)
    results: list[str] = []
    call_tool = Client.call_tool
    schemas: dict[int, dict[str, Any]] = {}

    async def recording_call_tool(self: Client, name: str, *args: Any, **kwargs: Any) -> Any:
        result = await call_tool(self, name, *args, **kwargs)
        results.append(result.model_dump_json())
        if id(self) not in schemas:
            schemas[id(self)] = {tool.name: tool.output_schema for tool in (await self.list_tools()).tools}
        wire = result.model_dump(by_alias=True, mode="json", exclude_none=True)
        assert_fits_output_schema(name, wire, schemas[id(self)].get(name))
        return result

    monkeypatch.setattr(Client, "call_tool", recording_call_tool)
    yield
    root.removeHandler(records)
    out, err = capsys.readouterr()
    texts = [("logs", line) for line in records.lines] + [("stdout", out), ("stderr", err)]
    for where, text in texts + [("a tool result", result) for result in results]:
        assert API_KEY not in text, f"the API key leaked into {where}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `posix` cannot run on Windows (no SIGTERM to stop a server gracefully): they are skipped
    there with that reason, which `-ra` prints, never left out unseen."""
    if sys.platform != "win32":
        return
    skip = pytest.mark.skip(reason="POSIX only: stops its server with SIGTERM, which Windows does not have")
    for item in items:
        if item.get_closest_marker("posix"):
            item.add_marker(skip)
