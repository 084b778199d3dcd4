"""The gate in front of the MCP app, in process, in every key mode.

OAuth discovery probes get a definitive 404 before any key check: Claude Code and mcp-remote probe these
paths even with an Authorization header configured, and a 401 there made them report "Dynamic Client
Registration rejected" instead of our "send your HostUp key". A request is judged by one Authorization
header only.
"""

from __future__ import annotations

import anyio
import httpx
import pytest
from pydantic import SecretStr

from hostup_mcp.config import Config, HttpSettings
from hostup_mcp.http import build_app
from tests.fake_hostup import API_KEY

pytestmark = pytest.mark.anyio

TOKEN = "t" * 32
MODES = {
    "per-user": (Config(api_key=None, key_source="request"), HttpSettings()),
    "server key, local": (Config(api_key=SecretStr(API_KEY)), HttpSettings()),
    "server key, shared": (
        Config(api_key=SecretStr(API_KEY)),
        HttpSettings(host="0.0.0.0", tokens=(SecretStr(TOKEN),)),
    ),
    "demo": (Config(api_key=None).as_demo(), HttpSettings()),
}
PROBES = [
    ("GET", "/.well-known/oauth-protected-resource"),
    ("GET", "/.well-known/oauth-protected-resource/mcp"),
    ("GET", "/.well-known/oauth-authorization-server"),
    ("GET", "/.well-known/oauth-authorization-server/mcp"),
    ("GET", "/.well-known/openid-configuration"),
    ("GET", "/mcp/.well-known/openid-configuration"),
    ("POST", "/register"),
    ("GET", "/authorize"),
    ("POST", "/token"),
]


def client_for(mode: str) -> httpx.AsyncClient:
    config, settings = MODES[mode]
    transport = httpx.ASGITransport(app=build_app(config, settings))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("authorization", [None, f"Bearer {API_KEY}", f"Bearer {TOKEN}"])
async def test_every_discovery_probe_is_a_404_whatever_the_mode_and_the_key(mode: str, authorization: str | None):
    headers = {"authorization": authorization} if authorization else {}
    async with client_for(mode) as client:
        answers = [await client.request(method, path, headers=headers) for method, path in PROBES]

    assert [answer.status_code for answer in answers] == [404] * len(PROBES)
    assert all("www-authenticate" not in answer.headers for answer in answers)  # nothing says "authenticate"
    assert all(answer.json()["error"] == "not_found" for answer in answers)


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("per-user", "Send your own HostUp API key as 'Authorization: Bearer <key>'"),
        ("server key, shared", "present one of its access tokens"),
        ("server key, local", "needs no credentials"),
        ("demo", "needs no credentials"),
    ],
)
async def test_the_registration_404_says_how_to_authenticate_in_this_mode(mode: str, says: str):
    """Claude Code shows the body of the /register answer ("Dynamic Client Registration rejected")."""
    async with client_for(mode) as client:
        answer = await client.post("/register", json={"redirect_uris": ["http://localhost:1/cb"]})

    assert answer.status_code == 404
    assert says in answer.json()["error_description"]


@pytest.mark.parametrize("mode", ["per-user", "server key, shared"])
async def test_mcp_without_a_key_keeps_its_401_with_our_explanation_in_body_and_header(mode: str):
    async with client_for(mode) as client:
        answer = await client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}})

    assert answer.status_code == 401
    challenge = answer.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="hostup-mcp"')
    assert "resource_metadata" not in challenge  # no OAuth to discover
    assert answer.json()["error_description"] in challenge


@pytest.mark.parametrize("mode", ["per-user", "server key, shared"])
async def test_two_authorization_headers_are_refused_as_ambiguous(mode: str):
    """The gate read the last, the tools the first: a valid token could let a second header's key through."""
    headers = [("authorization", f"Bearer {TOKEN}"), ("authorization", f"Bearer {API_KEY}")]
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
    async with client_for(mode) as client:
        answer = await client.post("/mcp", json=body, headers=headers)

    assert answer.status_code == 400
    assert answer.json()["error_description"] == "More than one Authorization header: send exactly one."


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("method", ["GET", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"])
async def test_mcp_answers_anything_but_post_with_405_at_once(mode: str, method: str):
    """A GET once opened an event stream that never sent a byte and never ended."""
    async with client_for(mode) as client:
        with anyio.fail_after(5):
            answer = await client.request(method, "/mcp", headers={"accept": "text/event-stream"})

    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
