"""The gate in front of the MCP app, in process, in every key mode.

OAuth discovery probes get a definitive 404 before any key check: Claude Code and mcp-remote probe these
paths even with an Authorization header configured, and a 401 there made them report "Dynamic Client
Registration rejected" instead of our "send your HostUp key". A request is judged by one Authorization
header only.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp.types import ElicitResult
from pydantic import SecretStr

from hostup_mcp.config import Config, HttpSettings
from hostup_mcp.hostup.sandbox import EXAMPLE_ISO_ID, EXAMPLE_VPS_ID
from hostup_mcp.http import bracketed, build_app, state_security
from hostup_mcp.server import QUESTION_SECONDS
from tests.fake_hostup import API_KEY, FakeHostUp

pytestmark = pytest.mark.anyio

TOKEN = "t" * 32
LOCAL = "http://127.0.0.1:8000"
MCP_URL = f"{LOCAL}/mcp"
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


class AnswerWithKey(httpx2.AsyncBaseTransport):
    """Sends the answer to a question (the request that brings back the sealed requestState) with `key`."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, key: str) -> None:
        self.inner = inner
        self.key = key
        self.answers = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if b'"requestState"' in await request.aread():
            self.answers += 1
            request.headers["authorization"] = f"Bearer {self.key}"
        return await self.inner.handle_async_request(request)


async def delete_answering_with(key: str) -> tuple[FakeHostUp, AnswerWithKey, Any]:
    """User A (API_KEY) asks to delete over stateless HTTP in the 2026-07-28 era, ticks yes, and the answer
    goes back with `key`. Both keys reach the same HostUp account, so only the sealed state can tell them apart."""
    fake = FakeHostUp()

    async def as_the_account(request: httpx.Request) -> httpx.Response:
        request.headers["authorization"] = f"Bearer {API_KEY}"
        return await fake.handle(request)

    async def yes(context: Any, params: Any) -> ElicitResult:
        return ElicitResult(action="accept", content={"confirm": True})

    config = Config(api_key=None, key_source="request", enable_writes=True)
    gate = build_app(config, HttpSettings(), transport=httpx.MockTransport(as_the_account))
    inner = gate.app  # type: ignore[attr-defined]  # the SDK's Starlette app, whose lifespan runs its sessions
    answering = AnswerWithKey(httpx2.ASGITransport(app=gate), key)
    async with (
        inner.router.lifespan_context(inner),
        httpx2.AsyncClient(transport=answering, headers={"authorization": f"Bearer {API_KEY}"}) as http,
        Client(streamable_http_client(MCP_URL, http_client=http), mode="auto", elicitation_callback=yes) as client,
    ):
        try:
            result: Any = await client.call_tool("delete_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "volid": EXAMPLE_ISO_ID})
        except MCPError as error:
            result = error
    return fake, answering, result


async def test_a_confirmation_sealed_for_one_users_key_cannot_be_answered_with_another():
    fake, answering, result = await delete_answering_with("hu_other_users_key_0123")

    assert answering.answers == 1  # the question was asked and answered, with the other key
    assert [request.method for request in fake.requests].count("DELETE") == 0
    assert isinstance(result, MCPError) or result.is_error


async def test_the_same_answer_with_the_same_key_deletes():
    """The control for the test above: the flow it breaks does delete when the key is the one that asked."""
    fake, answering, result = await delete_answering_with(API_KEY)

    assert answering.answers == 1
    assert [request.method for request in fake.requests].count("DELETE") == 1
    assert result.structured_content["deleted"] is True


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
MCP_HEADERS = {"accept": "application/json, text/event-stream", "authorization": f"Bearer {API_KEY}"}


async def post_initialize(
    settings: HttpSettings,
    host: str,
    config: Config = Config(api_key=None, key_source="request"),  # noqa: B008 - frozen, never changed
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> httpx.Response:
    gate = build_app(config, settings)
    inner = gate.app  # type: ignore[attr-defined]  # the SDK's Starlette app, whose lifespan runs its sessions
    transport = httpx.ASGITransport(app=gate)
    sent = {**MCP_HEADERS, "content-type": "application/json", **(headers or {})}
    body = content if content is not None else json.dumps(INITIALIZE).encode()
    async with inner.router.lifespan_context(inner), httpx.AsyncClient(transport=transport, base_url=host) as client:
        return await client.post("/mcp", content=body, headers=sent)


async def test_each_request_is_answered_with_json_and_no_session_to_keep():
    answer = await post_initialize(HttpSettings(), "http://127.0.0.1:8000")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert "mcp-session-id" not in answer.headers  # stateless: any replica can take the next request
    assert answer.json()["result"]["serverInfo"]["name"] == "hostup-mcp"


@pytest.mark.parametrize(
    ("bound", "host", "status"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000", 200),
        ("127.0.0.1", "http://localhost:8000", 200),
        ("127.0.0.1", "http://[::1]:8000", 200),
        ("127.0.0.2", "http://127.0.0.2:8000", 200),  # the bound address is as local as 127.0.0.1
        ("::1", "http://[::1]:8000", 200),
        ("127.0.0.1", "http://rebound.example:8000", 421),  # a web page's name rebound onto 127.0.0.1
        ("127.0.0.2", "http://rebound.example:8000", 421),  # on every loopback address, not only the SDK's
    ],
)
async def test_on_loopback_only_local_host_names_are_answered(bound: str, host: str, status: int):
    assert (await post_initialize(HttpSettings(host=bound), host)).status_code == status


async def test_off_loopback_the_public_name_is_the_balancers_business():
    settings = HttpSettings(host="0.0.0.0")  # per-user mode needs no tokens
    assert (await post_initialize(settings, "https://mcp.example.com")).status_code == 200


async def test_no_request_needs_a_session_from_an_earlier_one():
    config = Config(api_key=None, key_source="request")
    gate = build_app(config, HttpSettings())
    inner = gate.app  # type: ignore[attr-defined]
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
    headers = {**MCP_HEADERS, "mcp-protocol-version": "2025-11-25"}
    transport = httpx.ASGITransport(app=gate)
    async with inner.router.lifespan_context(inner), httpx.AsyncClient(transport=transport, base_url=LOCAL) as client:
        answer = await client.post("/mcp", json=listing, headers=headers)  # no initialize, no session id

    assert answer.status_code == 200
    assert "list_vps_iso_media" in {tool["name"] for tool in answer.json()["result"]["tools"]}


@pytest.mark.parametrize(
    ("host", "in_a_host_header"), [("::1", "[::1]"), ("[::1]", "[::1]"), ("127.0.0.2", "127.0.0.2")]
)
def test_an_address_is_written_as_a_host_header_writes_it(host: str, in_a_host_header: str):
    assert bracketed(host) == in_a_host_header


async def test_health_is_answered_before_any_key_check_in_every_mode():
    for mode in MODES:
        async with client_for(mode) as client:
            answer = await client.get("/healthz")

        assert answer.status_code == 200
        assert answer.json() == {"status": "ok"}
        assert answer.headers["content-length"] == str(len(answer.content))


async def test_the_405_says_why_in_its_body():
    async with client_for("demo") as client:
        answer = await client.get("/mcp")

    assert answer.json()["error"] == "method_not_allowed"
    assert "POST only" in answer.json()["error_description"]


async def test_off_loopback_a_web_page_is_refused_before_its_key_is_looked_at():
    settings = HttpSettings(host="0.0.0.0")
    answer = await post_initialize(settings, "https://mcp.example.com", headers={"origin": "https://evil.example"})

    assert answer.status_code == 403
    assert answer.json()["error"] == "origin_not_allowed"
    assert "no CORS headers" in answer.json()["error_description"]


async def test_on_loopback_a_local_page_is_answered_and_a_foreign_one_is_not():
    local = await post_initialize(HttpSettings(), LOCAL, headers={"origin": "http://127.0.0.1:8000"})
    foreign = await post_initialize(HttpSettings(), LOCAL, headers={"origin": "https://evil.example"})

    assert local.status_code == 200
    assert foreign.status_code == 403


async def test_a_body_over_64_kib_is_refused_and_one_at_the_limit_is_read():
    document = json.dumps(INITIALIZE).encode()
    at_limit = document[:-1] + b" " * (64 * 1024 - len(document)) + b"}"

    assert (await post_initialize(HttpSettings(), LOCAL, content=at_limit)).status_code == 200
    assert (await post_initialize(HttpSettings(), LOCAL, content=at_limit + b" ")).status_code == 413


async def test_a_local_server_key_needs_no_credential_from_its_caller():
    config = Config(api_key=SecretStr(API_KEY))
    headers = {"authorization": ""}

    assert (await post_initialize(HttpSettings(), LOCAL, config=config, headers=headers)).status_code == 200


@pytest.mark.parametrize(("presented", "status"), [("t" * 32, 200), ("u" * 32, 200), ("v" * 32, 401), ("", 401)])
async def test_a_shared_server_key_takes_any_one_of_its_tokens_and_nothing_else(presented: str, status: int):
    config = Config(api_key=SecretStr(API_KEY))
    settings = HttpSettings(host="0.0.0.0", tokens=(SecretStr("t" * 32), SecretStr("u" * 32)))
    headers = {"authorization": f"Bearer {presented}" if presented else ""}

    answer = await post_initialize(settings, "https://mcp.example.com", config=config, headers=headers)

    assert answer.status_code == status
    if status == 401:
        assert answer.json()["error"] == "invalid_token"


def test_a_sealed_question_lives_as_long_as_the_question():
    for config in (Config(api_key=None, key_source="request"), Config(api_key=SecretStr(API_KEY))):
        assert state_security(config, HttpSettings()).ttl == QUESTION_SECONDS
