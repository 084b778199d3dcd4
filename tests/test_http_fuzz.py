"""Hypothesis against the HTTP surface in process: any JSON-RPC-ish body with any headers gets a complete
answer, one access line, no traceback, and never the key in the answer or the log."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from hostup_mcp.config import Config, HttpSettings
from hostup_mcp.http import build_app
from tests.fake_hostup import API_KEY, DOCUMENTED_200

FUZZ_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
TOKEN = "t" * 32

text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
    max_leaves=10,
)
methods = st.sampled_from(["initialize", "tools/list", "tools/call", "ping", "resources/list"]) | text
tool_calls = st.fixed_dictionaries(
    {"name": st.sampled_from(["list_vps_iso_media", "list_vps", "get_job"]) | text, "arguments": json_values}
)
bodies = st.one_of(
    st.fixed_dictionaries(
        {"jsonrpc": st.just("2.0"), "id": st.integers() | text, "method": methods, "params": tool_calls | json_values}
    ).map(json.dumps),
    json_values.map(json.dumps),
    text,
)
header_values = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)
headers = st.fixed_dictionaries(
    {},
    optional={
        "authorization": st.sampled_from([f"Bearer {API_KEY}", f"Bearer {TOKEN}", "Bearer", "Basic eA=="])
        | header_values,
        "mcp-protocol-version": st.sampled_from(["2025-11-25", "2026-07-28", "1999-01-01"]) | header_values,
        "accept": st.sampled_from(["application/json, text/event-stream", "text/html"]) | header_values,
        "content-type": st.sampled_from(["application/json", "text/plain"]) | header_values,
        "origin": st.sampled_from(["http://127.0.0.1:1", "https://evil.example"]),
    },
)


@pytest.fixture(scope="module", params=["per-user", "server key"])
def app(request: Any) -> Iterator[tuple[BlockingPortal, httpx.AsyncClient]]:
    hostup = httpx.MockTransport(lambda _: httpx.Response(200, json=DOCUMENTED_200))
    if request.param == "per-user":
        config = Config(api_key=None, key_source="request", max_concurrent_calls=32)
    else:
        config = Config(api_key=SecretStr(API_KEY), max_concurrent_calls=32)
    gate = build_app(config, HttpSettings(), transport=hostup)
    inner = gate.app  # type: ignore[attr-defined]  # the SDK's Starlette app, whose lifespan runs its sessions
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(inner.router.lifespan_context(inner)):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=gate), base_url="http://127.0.0.1:8000")
        with portal.wrap_async_context_manager(client):
            yield portal, client


@FUZZ_SETTINGS
@given(body=bodies, sent=headers)
def test_any_request_gets_a_whole_answer_one_access_line_and_never_the_key(
    app: tuple[BlockingPortal, httpx.AsyncClient], caplog: pytest.LogCaptureFixture, body: str, sent: dict[str, str]
):
    portal, client = app
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        answer = portal.call(lambda: client.post("/mcp", content=body.encode(), headers=sent, timeout=10))

    access = [record for record in caplog.records if record.name == "hostup_mcp.access"]
    assert len(access) == 1
    assert "\n" not in access[0].getMessage()
    assert 200 <= answer.status_code < 600
    assert not [record for record in caplog.records if record.exc_info or "Traceback" in record.getMessage()]
    assert API_KEY not in answer.text
    assert not any(API_KEY in record.getMessage() for record in caplog.records)
