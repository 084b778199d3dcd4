from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp import Client
from pydantic import SecretStr

from hostup_mcp.config import Config
from hostup_mcp.retry import RetryPolicy
from hostup_mcp.server import build_server
from tests.fake_hostup import API_KEY, FakeHostUp

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
