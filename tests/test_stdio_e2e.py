"""The installed `hostup-mcp` console script over raw stdio, against a real HTTP server on 127.0.0.1.

(Clients talking to it over stdio in every era, with every scenario, are in test_other_clients.py.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fake_hostup import API_KEY, DOCUMENTED_200, EXAMPLE_VPS_ID, FakeHostUp, serve_http
from tests.stdio_session import RawSession, server_env


@pytest.fixture
def base_url() -> Iterator[str]:
    with serve_http(FakeHostUp()) as url:
        yield url


@pytest.mark.parametrize("protocol", ["2025-06-18"])  # the oldest era we answer; newer ones: test_other_clients
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
    structured = called["result"]["structuredContent"]
    assert called["id"] == 3 and {key: structured[key] for key in DOCUMENTED_200} == DOCUMENTED_200
    assert stdout == "" and code == 0
    assert "GET /api/v2/vps/" in stderr  # DEBUG logging reached stderr...
    assert API_KEY not in stderr  # ...without the key
