"""The access log, in process: one line per request, every field escaped and bounded, who without the key.

The line is `client who method path what status duration ms`; operators grep it and parse it, so its
fields and their order are pinned here, as is the fingerprint (replicas of two versions during a rolling
upgrade must log one user alike).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from hostup_mcp.config import Config, HttpSettings
from hostup_mcp.http import MAX_BODY_BYTES, Gate, Message, Receive, Scope, Send, build_app, escape, loggable

pytestmark = pytest.mark.anyio

SECRET = "s" * 32
KEY = "hu_access_log_key"
PER_USER = Config(api_key=None, key_source="request")
# Known answer: the fingerprint of `Authorization: Bearer hu_access_log_key` under the state secret SECRET.
KNOWN_FINGERPRINT = "u:9b977407"
LINE = re.compile(r"^(\S+) (\S+) (\S+) (\S+) (.+) (\d+) (\d+) ms$")


class Recorded:
    def __init__(self) -> None:
        self.sent: list[Message] = []

    @property
    def status(self) -> int:
        (start,) = [message for message in self.sent if message["type"] == "http.response.start"]
        return int(start["status"])

    @property
    def headers(self) -> dict[str, str]:
        (start,) = [message for message in self.sent if message["type"] == "http.response.start"]
        return {name.decode(): value.decode() for name, value in start["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(message.get("body", b"") for message in self.sent if message["type"] == "http.response.body")


async def through(
    app: Any,
    *,
    method: str = "POST",
    path: str = "/healthz",
    headers: Iterable[tuple[str, str]] = (),
    chunks: Iterable[Message] | None = None,
    client: tuple[str, int] | None = ("203.0.113.7", 5555),
) -> Recorded:
    """One request through `app` as a server hands it over: the scope, the body messages, then disconnect."""
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers],
        "server": ("127.0.0.1", 8000),
    }
    if client is not None:
        scope["client"] = client
    messages = list(chunks if chunks is not None else [{"type": "http.request", "body": b"", "more_body": False}])
    messages.append({"type": "http.disconnect"})
    recorded = Recorded()

    async def receive() -> Message:
        return messages.pop(0) if len(messages) > 1 else messages[0]

    async def send(message: Message) -> None:
        recorded.sent.append(message)

    await app(scope, receive, send)
    return recorded


def gate(settings: HttpSettings | None = None, config: Config = PER_USER, app: Any = None) -> Gate:
    built = build_app(config, settings or HttpSettings(state_secrets=(SecretStr(SECRET),)))
    assert isinstance(built, Gate)
    return built if app is None else Gate(app, config, built.settings)


def access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "hostup_mcp.access"]


@pytest.fixture(autouse=True)
def _access_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hostup_mcp.access")


async def test_a_request_is_one_line_of_client_who_method_path_what_status_and_duration(caplog):
    await through(gate(), path="/healthz", headers=[("authorization", f"Bearer {KEY}")])

    (line,) = access_lines(caplog)
    assert LINE.match(line)
    assert line.startswith(f"203.0.113.7 {KNOWN_FINGERPRINT} POST /healthz - 200 ")


async def test_without_a_client_address_or_a_credential_each_is_a_dash(caplog):
    await through(gate(), client=None)

    assert access_lines(caplog)[0].startswith("- - POST /healthz - 200 ")


async def test_the_fingerprint_is_the_same_for_replicas_sharing_the_secret_and_hides_the_key(caplog):
    sharing = [gate(), gate()]
    other_secret = gate(HttpSettings(state_secrets=(SecretStr("o" * 32),)))
    # A ring: the first secret is the one in use; replicas that still list the old one second log alike.
    rotated = gate(HttpSettings(state_secrets=(SecretStr(SECRET), SecretStr("o" * 32))))
    for app in [*sharing, other_secret, rotated]:
        await through(app, headers=[("authorization", f"Bearer {KEY}")])
    await through(sharing[0], headers=[("authorization", "Bearer another-key")])

    who = [line.split(" ")[1] for line in access_lines(caplog)]
    assert who[:2] == [KNOWN_FINGERPRINT, KNOWN_FINGERPRINT]
    assert who[2] != KNOWN_FINGERPRINT
    assert who[3] == KNOWN_FINGERPRINT
    assert who[4] != KNOWN_FINGERPRINT
    assert all(re.fullmatch(r"u:[0-9a-f]{8}", fingerprint) for fingerprint in who)
    assert KEY not in caplog.text


async def test_without_a_shared_secret_each_process_has_its_own_fingerprints(caplog):
    for _ in range(2):
        await through(gate(HttpSettings()), headers=[("authorization", f"Bearer {KEY}")])

    first, second = (line.split(" ")[1] for line in access_lines(caplog))
    assert first != second


async def test_two_authorization_headers_are_fingerprinted_together(caplog):
    pairs = [[("authorization", "Bearer a")], [("authorization", "Bearer b")]]
    for headers in [*pairs, pairs[0] + pairs[1]]:
        await through(gate(), headers=headers)

    first, second, both = (line.split(" ")[1] for line in access_lines(caplog))
    assert both == "u:42f46731"  # known answer for "Bearer a", "Bearer b" under SECRET
    assert len({first, second, both}) == 3


async def test_every_field_from_the_request_is_escaped_and_bounded(caplog):
    await through(gate(), method="X" * 20, path="/" + "p" * 250, client=("c" * 70, 1))

    client, _who, method, path, *_ = access_lines(caplog)[0].split(" ")
    assert client == "c" * 64 + "…"
    assert method == "X" * 16 + "…"
    assert path == "/" + "p" * 199 + "…"


def test_a_value_is_escaped_so_it_cannot_end_or_split_the_line():
    assert loggable("a b\\c\n\t\u200b\x7f", 100) == "a\\x20b\\x5cc\\x0a\\x09\\u200b\\x7f"
    assert loggable("café→ok", 100) == "café→ok"  # printable text stays readable


def test_a_value_is_cut_at_its_limit_and_marked_only_when_cut():
    assert loggable("abcd", 4) == "abcd"
    assert loggable("abcde", 4) == "abcd…"
    assert escape("\n") == "\\x0a"
    assert escape("\u2028") == "\\u2028"


def rpc(document: Any) -> list[Message]:
    return [{"type": "http.request", "body": json.dumps(document).encode(), "more_body": False}]


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (
            rpc({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_vps"}}),
            "tools/call list_vps",
        ),
        (rpc({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}), "initialize"),
        (rpc({"jsonrpc": "2.0", "id": 1, "method": "prompts/get", "params": {"name": "x"}}), "prompts/get"),
        (rpc({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": 7}}), "tools/call"),
        (rpc({"jsonrpc": "2.0", "id": 1}), "-"),
        (rpc([{"method": "initialize"}]), "-"),
        (rpc({"method": "m" * 50}), "m" * 40 + "…"),
        (rpc({"method": "tools/call", "params": {"name": "n" * 70}}), "tools/call " + "n" * 64 + "…"),
        (rpc({"method": "tools/call\nFORGED", "params": {"name": "a b"}}), "tools/call\\x0aFORGED"),
        ([{"type": "http.request", "body": b"not json", "more_body": False}], "-"),
        ([{"type": "http.request", "more_body": False}], "-"),  # a body message may leave out its bytes
        (
            [
                {"type": "http.request", "body": b'{"method": "tools/call", ', "more_body": True},
                {"type": "http.request", "body": b'"params": {"name": "get_job"}}', "more_body": False},
            ],
            "tools/call get_job",
        ),
    ],
)
async def test_the_json_rpc_method_and_tool_are_read_from_the_whole_body(caplog, body: list[Message], what: str):
    async def answers(scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    await through(gate(config=Config(api_key=None).as_demo(), app=answers), path="/mcp", chunks=body)

    (line,) = access_lines(caplog)
    assert LINE.match(line)[5] == what  # type: ignore[index]
    assert LINE.match(line)[6] == "202"  # type: ignore[index]


async def test_the_body_is_read_for_the_log_up_to_the_limit_and_no_further(caplog):
    padding = " " * (MAX_BODY_BYTES - len('{"method": "initialize"'))
    at_limit = [
        {"type": "http.request", "body": ('{"method": "initialize"' + padding).encode(), "more_body": True},
        {"type": "http.request", "body": b"}", "more_body": False},
    ]
    past_limit = [dict(at_limit[0], body=at_limit[0]["body"] + b" "), at_limit[1]]

    async def drains(scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 413, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    for chunks in (at_limit, past_limit):
        await through(gate(config=Config(api_key=None).as_demo(), app=drains), path="/mcp", chunks=chunks)

    first, second = (LINE.match(line)[5] for line in access_lines(caplog))  # type: ignore[index]
    assert (first, second) == ("initialize", "-")


async def test_a_request_that_fails_before_any_answer_is_still_logged_with_status_0(caplog):
    async def crashes(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("the app failed")

    with pytest.raises(RuntimeError):
        await through(gate(config=Config(api_key=None).as_demo(), app=crashes), path="/mcp")

    assert LINE.match(access_lines(caplog)[0])[6] == "0"  # type: ignore[index]


async def test_the_duration_is_in_milliseconds(caplog):
    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(0.2)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    await through(gate(config=Config(api_key=None).as_demo(), app=slow), path="/mcp")

    assert 200 <= int(LINE.match(access_lines(caplog)[0])[7]) < 5000  # type: ignore[index]


async def test_the_lifespan_passes_through_to_the_mcp_app_unlogged(caplog):
    messages: list[Message] = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    await gate()({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)

    assert [message["type"] for message in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert access_lines(caplog) == []


async def test_a_tool_call_through_the_mcp_app_is_logged_with_its_tool(caplog):
    app = build_app(Config(api_key=None).as_demo(), HttpSettings())
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 4444))
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_vps", "arguments": {}}}
    headers = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25"}
    inner = app.app  # type: ignore[attr-defined]  # the SDK's Starlette app, whose lifespan runs its sessions
    async with (
        inner.router.lifespan_context(inner),
        httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client,
    ):
        answer = await client.post("/mcp", json=call, headers=headers)

    assert answer.status_code == 200
    assert access_lines(caplog)[0].startswith("198.51.100.9 - POST /mcp tools/call list_vps 200 ")
