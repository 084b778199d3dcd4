"""Bodies that once crashed the tool (found by the fault suite), now explained errors."""

from __future__ import annotations

import json

import httpx
import pytest
from mcp import Client
from pydantic import SecretStr

from hostup_mcp.config import Config
from hostup_mcp.server import build_server
from tests.fake_hostup import API_KEY, DOCUMENTED_200, EXAMPLE_VPS_ID, FakeHostUp, serve_http
from tests.results import problem_of
from tests.stdio_session import RawSession, server_env, tool_call

DOCUMENTED = json.dumps(DOCUMENTED_200)


def with_extra(raw_json: str) -> str:
    return DOCUMENTED[:-1] + f', "x": {raw_json}}}'


async def call_with_body(status: int, body: str) -> object:
    transport = httpx.MockTransport(
        lambda _: httpx.Response(status, headers={"content-type": "application/json"}, content=body.encode())
    )
    async with Client(build_server(Config(api_key=SecretStr(API_KEY)), transport=transport)) as client:
        return await client.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,  # RecursionError in the json module
        with_extra("[" * 500 + "]" * 500),  # past pydantic's serialization depth
        DOCUMENTED.replace("5.9", "NaN"),  # not JSON, and serialized as null: the client's schema check failed
        DOCUMENTED.replace("5.9", "-Infinity"),
        DOCUMENTED.replace("5.9", "1e400"),  # parses to inf
        DOCUMENTED.replace("5.9", "1" * 5000),  # beyond int's digit limit
    ],
    ids=["deep-array", "deep-extra", "nan", "infinity", "overflow", "huge-int"],
)
@pytest.mark.anyio
async def test_unserializable_200_bodies_are_explained_errors(body: str):
    result = await call_with_body(200, body)

    assert result.is_error is True
    assert problem_of(result)["code"] == "invalid_response_body"
    assert "Next step:" in result.content[0].text


@pytest.mark.anyio
async def test_moderately_nested_extra_fields_still_pass_through():
    nested = "[" * 20 + "1" + "]" * 20

    result = await call_with_body(200, with_extra(nested))

    assert result.is_error is False
    assert result.structured_content["x"] == json.loads(nested)


@pytest.mark.anyio
async def test_a_deeply_nested_error_body_is_not_taken_for_a_problem():
    result = await call_with_body(404, '{"status": 404, "code": "x", "errors": ' + "[" * 5000 + "]" * 5000 + "}")

    assert result.is_error is True
    assert problem_of(result)["code"] == "invalid_error_body"
    assert problem_of(result)["status"] == 404


SURROGATE_NAME = DOCUMENTED.replace('"Ubuntu 24.04 LTS"', '"Ubuntu \\ud800 24.04"')
SURROGATE_ERROR = '{"status": 404, "code": "not_found", "title": "Not found", "detail": "cut emoji \\udc00"}'


def test_a_lone_surrogate_from_hostup_does_not_stop_the_stdio_server():
    """The stdio writer refuses lone surrogates ("surrogates not allowed"); in-memory tests never serialise."""
    with serve_http(FakeHostUp()) as url:
        session = RawSession(server_env(url))
        session.handshake()
        session.send(tool_call(2, "list_vps_iso_media", {"vps_id": "vps_surrogate"}))
        named = session.reply_to(2)
        session.send(tool_call(3, "list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID}))
        again = session.reply_to(3)
        _, stderr, code = session.close()

    assert named["result"]["structuredContent"]["available"][0]["displayName"] == "Ubuntu \ufffd 24.04"
    assert "Ubuntu \ufffd 24.04" in named["result"]["content"][0]["text"]
    assert again["result"]["isError"] is False
    assert code == 0 and "surrogates not allowed" not in stderr


@pytest.mark.parametrize(("status", "body"), [(200, SURROGATE_NAME), (404, SURROGATE_ERROR)])
@pytest.mark.anyio
async def test_lone_surrogates_in_data_and_errors_reach_the_client_as_replacement_characters(status, body):
    result = await call_with_body(status, body)

    wire = result.model_dump_json(by_alias=True)  # what a transport would write; raises on a lone surrogate
    assert "\\ud800" not in wire and "\\udc00" not in wire
    assert "\ufffd" in json.loads(wire)["content"][0]["text"]
