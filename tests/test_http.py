"""The remote server: Streamable HTTP from the installed console script, against a fake HostUp over HTTP.

Modes, limits, health, the access log and shutdown; clients in both protocol eras. (Other clients over
HTTP are in test_other_clients.py; two replicas in test_replicas.py.)
"""

from __future__ import annotations

import json
import re
import signal
import socket
import time
from collections.abc import Iterator

import anyio
import httpx2
import pytest

from hostup_mcp.hostup.sandbox import EXAMPLE_VPS_ID
from hostup_mcp.tools.results import PROBLEM_META_KEY
from tests.fake_hostup import API_KEY, DOCUMENTED_200, FakeHostUp, PerKeyHostUp, serve_http
from tests.http_server import bearer, http_client, http_server
from tests.results import hostup_document, problem_of, without_guidance
from tests.scripted_server import ScriptedServer, Step

pytestmark = [pytest.mark.posix, pytest.mark.anyio]
TOKEN = "tok_3f1d8c9a7b6e5d4c2b1a"
ISO = {"vps_id": EXAMPLE_VPS_ID}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}
JSON_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}


@pytest.fixture
def hostup() -> Iterator[str]:
    with serve_http(FakeHostUp()) as url:
        yield url


def post(url: str, body: object, **headers: str | bytes) -> httpx2.Response:
    return httpx2.post(url, content=json.dumps(body), headers={**JSON_HEADERS, **headers}, timeout=10)


# --- per-user keys (the default without HOSTUP_API_KEY) ------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_per_user_mode_uses_the_key_each_request_brings(hostup: str, mode: str):
    with http_server({"HOSTUP_BASE_URL": hostup}) as server:
        async with http_client(server.url, mode, **bearer(API_KEY)) as client:
            found = await client.call_tool("list_vps_iso_media", ISO)
            missing = await client.call_tool("list_vps_iso_media", {"vps_id": "vps_demomissing"})

    assert hostup_document(found) == DOCUMENTED_200
    assert missing.meta[PROBLEM_META_KEY]["status"] == 404
    assert "per-user key" in server.stderr()
    assert API_KEY not in server.stderr()


@pytest.mark.parametrize(
    "authorization", [None, b"", b"Bearer", b"Basic dXNlcjpwYXNz", b"Bearer a b", "Bearer é".encode("latin-1")]
)
def test_a_request_without_a_usable_key_gets_a_401_saying_how_to_send_one(hostup: str, authorization: bytes | None):
    fake = FakeHostUp()
    with serve_http(fake) as url, http_server({"HOSTUP_BASE_URL": url}) as server:
        headers = {} if authorization is None else {"authorization": authorization}
        answer = post(server.url, INITIALIZE, **headers)

    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer <key>" in answer.json()["error_description"]
    assert fake.requests == []


async def test_a_refused_key_in_per_user_mode_is_fixed_in_the_users_client_not_the_server(hostup: str):
    """The user cannot set the server's HOSTUP_API_KEY (and an operator who did would make it shared)."""
    with http_server({"HOSTUP_BASE_URL": hostup}) as server:
        async with http_client(server.url, **bearer("hu_not_a_valid_key_000")) as client:
            result = await client.call_tool("list_vps_iso_media", ISO)

    assert problem_of(result)["status"] == 401
    next_step = result.content[0].text.split("Next step: ")[1]
    assert "send it from their MCP client as 'Authorization: Bearer <key>'" in next_step
    assert "HOSTUP_API_KEY" not in next_step


async def test_two_users_at_once_never_see_each_others_key_or_data():
    owners = {"hu_key_alice_1111111111": "alice", "hu_key_bob_222222222222": "bob"}
    fake = PerKeyHostUp(owners)
    results: dict[str, list[str]] = {"alice": [], "bob": []}
    with serve_http(fake) as url, http_server({"HOSTUP_BASE_URL": url}) as server:

        async def user(key: str, owner: str, mode: str) -> None:
            async with http_client(server.url, mode, **bearer(key)) as client:
                for _ in range(10):
                    result = await client.call_tool("list_vps_iso_media", ISO)
                    results[owner].append(result.structured_content["available"][0]["displayName"])

        async with anyio.create_task_group() as group:
            for key, owner in owners.items():
                for mode in ("auto", "legacy", "auto"):
                    group.start_soon(user, key, owner, mode)

    assert results == {"alice": ["ISO of alice"] * 30, "bob": ["ISO of bob"] * 30}
    assert sorted({owner for owner, _ in fake.used}) == ["alice", "bob"]
    assert len(fake.used) == 60
    assert not any(key in server.stderr() for key in owners)


def test_the_key_goes_only_to_hostup_even_when_hostup_redirects():
    with ScriptedServer().running() as elsewhere, ScriptedServer().running() as hostup:
        hostup.script(f"/api/v2/vps/{EXAMPLE_VPS_ID}/iso", Step(status=307, headers={"location": elsewhere.base_url}))
        with http_server({"HOSTUP_BASE_URL": hostup.base_url}) as server:
            call = {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "list_vps_iso_media", "arguments": ISO},
            }
            answer = post(server.url, call, **bearer(API_KEY), **{"mcp-protocol-version": "2025-11-25"})

    assert answer.json()["result"]["_meta"][PROBLEM_META_KEY]["code"] == "redirect_not_followed"
    assert elsewhere.requests == []
    assert [seen.headers["authorization"] for seen in hostup.requests] == [f"Bearer {API_KEY}"]


# --- a server key -------------------------------------------------------------------------------


def test_a_server_key_on_a_public_address_without_tokens_is_refused_at_start(hostup: str):
    from tests.stdio_session import run_once

    result = run_once(
        {"HOSTUP_API_KEY": API_KEY, "HOSTUP_BASE_URL": hostup}, "--transport", "http", "--host", "0.0.0.0"
    )

    assert result.returncode == 2
    assert "refusing to serve HOSTUP_API_KEY on 0.0.0.0" in result.stderr
    assert API_KEY not in result.stderr


def test_tokens_without_a_server_key_are_refused_at_start():
    from tests.stdio_session import run_once

    result = run_once({"HOSTUP_MCP_TOKENS": TOKEN}, "--transport", "http")

    assert result.returncode == 2
    assert "HOSTUP_MCP_TOKENS is set but HOSTUP_API_KEY is not" in result.stderr
    assert TOKEN not in result.stderr


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (None, 401),
        ("Bearer", 401),
        (f"Token {TOKEN}", 401),
        ("Bearer tok_wrong_wrong_wrong_w", 401),
        (f"Bearer {TOKEN}", 200),
    ],
)
def test_shared_mode_lets_in_only_the_configured_tokens(hostup: str, authorization: str | None, status: int):
    env = {"HOSTUP_API_KEY": API_KEY, "HOSTUP_BASE_URL": hostup, "HOSTUP_MCP_TOKENS": f"tok_other_aaaaaaaaaaa,{TOKEN}"}
    with http_server(env, "--host", "0.0.0.0") as server:
        local = server.url.replace("0.0.0.0", "127.0.0.1")
        answer = post(local, INITIALIZE, **({} if authorization is None else {"authorization": authorization}))
    log = server.stderr()  # the whole log, once the server has stopped

    assert answer.status_code == status
    if status == 401:
        assert "present one of its access tokens" in answer.json()["error_description"]
    assert "server key, shared" in log
    assert TOKEN not in log and API_KEY not in log and TOKEN not in answer.text


async def test_shared_mode_sends_the_server_key_to_hostup_not_the_token():
    fake = PerKeyHostUp({API_KEY: "owner"})
    with serve_http(fake) as url:
        env = {"HOSTUP_API_KEY": API_KEY, "HOSTUP_BASE_URL": url, "HOSTUP_MCP_TOKENS": TOKEN}
        with http_server(env, "--host", "0.0.0.0") as server:
            async with http_client(server.url.replace("0.0.0.0", "127.0.0.1"), **bearer(TOKEN)) as client:
                result = await client.call_tool("list_vps_iso_media", ISO)

    assert result.structured_content["available"][0]["displayName"] == "ISO of owner"
    assert {request.headers["authorization"] for request in fake.requests} == {f"Bearer {API_KEY}"}


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"host": "evil.example"}, 421),
        ({"host": "evil.example:8000"}, 421),
        ({"origin": "http://evil.example"}, 403),
        ({"origin": "http://localhost:3000"}, 200),
        ({}, 200),
    ],
)
def test_local_mode_refuses_foreign_hosts_and_origins(hostup: str, headers: dict[str, str], status: int):
    with http_server({"HOSTUP_API_KEY": API_KEY, "HOSTUP_BASE_URL": hostup}) as server:
        answer = post(server.url, INITIALIZE, **headers)
    log = server.stderr()

    assert answer.status_code == status
    assert "server key, local" in log


def test_off_loopback_a_browser_page_is_refused_plainly(hostup: str):
    """HOSTUP_MCP_ALLOWED_ORIGINS could never admit a browser (no CORS was sent): browsers are not served."""
    env = {"HOSTUP_API_KEY": API_KEY, "HOSTUP_BASE_URL": hostup, "HOSTUP_MCP_TOKENS": TOKEN}
    with http_server(env, "--host", "0.0.0.0") as server:
        local = server.url.replace("0.0.0.0", "127.0.0.1")
        page = post(local, INITIALIZE, origin="https://app.example", **bearer(TOKEN))
        client = post(local, INITIALIZE, **bearer(TOKEN))

    assert page.status_code == 403
    assert "sends no CORS headers" in page.json()["error_description"]
    assert client.status_code == 200


# --- limits, health, log, shutdown ---------------------------------------------------------------


@pytest.mark.parametrize(("host", "reached_at"), [("127.0.0.2", "127.0.0.2"), ("::", "127.0.0.1"), ("::", "[::1]")])
def test_every_loopback_bind_answers_its_own_address(host: str, reached_at: str):
    """127.0.0.2 once answered every request 421 (its Host was not on the list); `::` takes IPv4 too."""
    with http_server({}, "--demo", "--host", host) as server:
        port = server.url.rsplit(":", 1)[1].removesuffix("/mcp")
        answer = post(f"http://{reached_at}:{port}/mcp", INITIALIZE)

    assert answer.status_code == 200, answer.text


def test_health_needs_no_key_and_calls_no_hostup():
    fake = FakeHostUp()
    with serve_http(fake) as url, http_server({"HOSTUP_BASE_URL": url}) as server:
        answer = httpx2.get(f"{server.base}/healthz")

    assert answer.status_code == 200 and answer.json() == {"status": "ok"}
    assert fake.requests == []


def test_an_oversized_body_is_refused_declared_or_chunked(hostup: str):
    padded = json.dumps({**INITIALIZE, "params": {**INITIALIZE["params"], "padding": "x" * 100_000}}).encode()

    def chunked() -> Iterator[bytes]:  # no Content-Length: the limit must hold on what arrives
        for start in range(0, len(padded), 4096):
            yield padded[start : start + 4096]

    with http_server({"HOSTUP_BASE_URL": hostup}) as server:
        declared = httpx2.post(server.url, content=padded, headers={**JSON_HEADERS, **bearer(API_KEY)}, timeout=10)
        streamed = httpx2.post(server.url, content=chunked(), headers={**JSON_HEADERS, **bearer(API_KEY)}, timeout=10)

    assert "content-length" not in {name.lower() for name in streamed.request.headers}
    assert (declared.status_code, streamed.status_code) == (413, 413)


async def test_past_the_call_limit_a_call_is_answered_busy_not_queued():
    fake = FakeHostUp(slow_seconds=1.5)
    with serve_http(fake) as url, http_server({"HOSTUP_BASE_URL": url, "HOSTUP_MCP_MAX_CALLS": "1"}) as server:
        async with (
            http_client(server.url, **bearer(API_KEY)) as slow,
            http_client(server.url, **bearer(API_KEY)) as quick,
            anyio.create_task_group() as group,
        ):
            group.start_soon(slow.call_tool, "list_vps_iso_media", {"vps_id": "vps_slow"})
            await anyio.sleep(0.5)
            busy = await quick.call_tool("list_vps_iso_media", ISO)

    assert busy.meta[PROBLEM_META_KEY]["code"] == "busy"
    assert "try again in a few seconds" in busy.content[0].text


async def test_one_key_cannot_take_every_slot_from_the_others():
    """HOSTUP_MCP_MAX_CALLS=8: one key gets at most 2 at once; another key is still served."""
    owners = {"hu_key_hog_000000000000": "hog", "hu_key_other_1111111111": "other"}
    fake = PerKeyHostUp(owners)
    fake.slow_seconds = 1.5
    outcomes: list[str] = []
    with serve_http(fake) as url, http_server({"HOSTUP_BASE_URL": url, "HOSTUP_MCP_MAX_CALLS": "8"}) as server:

        async def hog_call() -> None:
            async with http_client(server.url, **bearer("hu_key_hog_000000000000")) as hog:
                result = await hog.call_tool("list_vps_iso_media", {"vps_id": "vps_slow"})
                outcomes.append("busy" if result.is_error else "served")

        async with anyio.create_task_group() as group:
            for _ in range(6):
                group.start_soon(hog_call)
            await anyio.sleep(0.7)
            async with http_client(server.url, **bearer("hu_key_other_1111111111")) as other:
                served = await other.call_tool("list_vps_iso_media", ISO)

    assert sorted(outcomes) == ["busy"] * 4 + ["served"] * 2
    assert served.is_error is False


def test_one_access_log_line_per_request_without_keys(hostup: str):
    call = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/call",
        "params": {"name": "list_vps_iso_media", "arguments": ISO},
    }
    with http_server({"HOSTUP_BASE_URL": hostup}) as server:
        post(server.url, INITIALIZE, **bearer(API_KEY))
        post(server.url, call, **bearer(API_KEY), **{"mcp-protocol-version": "2025-11-25"})
        post(server.url, INITIALIZE)
    # Read once the server has stopped: a request's line is written just after its answer is sent.
    lines = [line for line in server.stderr().splitlines() if "hostup_mcp.access" in line]

    fields = [line.split("hostup_mcp.access: ")[1].rsplit(" ", 2)[0].split(" ", 2) for line in lines[-3:]]
    assert [rest for _, _, rest in fields] == [
        "POST /mcp initialize 200",
        "POST /mcp tools/call list_vps_iso_media 200",
        "POST /mcp - 401",  # refused before its body was read
    ]
    assert {client for client, _, _ in fields} == {"127.0.0.1"}
    users = [user for _, user, _ in fields]
    assert users[0] == users[1] != "-" and re.fullmatch(r"u:[0-9a-f]{8}", users[0]) and users[2] == "-"
    assert all(line.endswith(" ms") for line in lines)
    assert API_KEY not in server.stderr()


def test_nothing_a_request_sends_can_forge_or_break_an_access_line():
    """A newline in the path, the JSON-RPC method or the tool name would end our line and start a forged one;
    a body nested deeper than the parser goes crashed the logger (a traceback and no line)."""
    forged = "FORGED 200 1 ms"
    hostile = [
        ("GET", "/mcp%0aFORGED%20200%201%20ms", None),
        ("POST", "/mcp", json.dumps(INITIALIZE | {"method": f"initialize\n{forged}"})),
        ("POST", "/mcp", json.dumps({**INITIALIZE, "method": "tools/call", "params": {"name": f"x\r\n{forged}"}})),
        ("POST", "/mcp", "[" * 30_000 + "]" * 30_000),  # under the 64 KiB limit
        ("POST", "/mcp", json.dumps(INITIALIZE | {"method": "\u2028" + "m" * 5000})),
    ]
    with http_server({}, "--demo") as server:
        for method, path, body in hostile:
            httpx2.request(method, server.base + path, content=body, headers=JSON_HEADERS, timeout=10)
    stderr = server.stderr()
    lines = [line for line in stderr.splitlines() if "hostup_mcp.access" in line and "/healthz" not in line]

    assert len(lines) == len(hostile)
    assert not any(line.startswith("FORGED") for line in stderr.splitlines())
    assert "Traceback" not in stderr
    assert "/mcp\\x0aFORGED\\x20200" in lines[0]
    assert "initialize\\x0aFORGED" in lines[1] and "x\\x0d\\x0aFORGED" in lines[2]
    assert " POST /mcp - " in lines[3]  # not a JSON-RPC request the log can name
    assert "\\u2028" in lines[4] and len(lines[4]) < 300


SLOW_CALL = {
    "jsonrpc": "2.0",
    "id": 3,
    "method": "tools/call",
    "params": {"name": "list_vps_iso_media", "arguments": {"vps_id": "vps_slow"}},
}


async def test_sigterm_lets_calls_in_flight_finish():
    fake = FakeHostUp(slow_seconds=1.0)
    answers: list[httpx2.Response] = []
    with serve_http(fake) as url, http_server({"HOSTUP_BASE_URL": url}) as server:
        async with httpx2.AsyncClient(headers={**JSON_HEADERS, **bearer(API_KEY)}, timeout=10) as http:

            async def call() -> None:
                headers = {"mcp-protocol-version": "2025-11-25"}  # stateless: no initialize needed
                answers.append(await http.post(server.url, content=json.dumps(SLOW_CALL), headers=headers))

            async with anyio.create_task_group() as group:
                group.start_soon(call)
                await anyio.sleep(0.4)  # the call is waiting on HostUp
                server.process.send_signal(signal.SIGTERM)
        code = server.process.wait(timeout=10)

    (answer,) = answers
    assert answer.status_code == 200
    assert without_guidance(answer.json()["result"]["structuredContent"]) == DOCUMENTED_200  # answered while stopping
    assert code == -signal.SIGTERM  # uvicorn re-raises the signal once drained, as the default handler would


# --- demo and writes ----------------------------------------------------------------------------


async def test_the_demo_serves_over_http_without_any_key():
    with http_server({}, "--demo") as server:
        async with http_client(server.url) as client:
            tools = [tool.name for tool in (await client.list_tools()).tools]
            result = await client.call_tool("list_vps_iso_media", ISO)

    assert tools == ["list_vps", "list_vps_iso_media", "get_job"]  # writes stay off unless enabled
    assert result.structured_content["demo"] is True


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_writes_over_http_and_the_delete_confirmation(hostup: str, mode: str):
    with http_server({"HOSTUP_BASE_URL": hostup}, "--enable-writes") as server:
        async with http_client(server.url, mode, **bearer(API_KEY)) as client:
            unmounted = await client.call_tool("unmount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "device": "ide2"})
            preview = await client.call_tool("delete_vps_iso", ISO | {"volid": "iso_01hxa3b4c5d6e7f8g9h0j1k2m3"})

    assert hostup_document(unmounted) == {"device": "ide2"}
    assert preview.structured_content["deleted"] is False  # no elicitation: the preview


def test_an_idle_connection_is_closed_and_many_idle_ones_do_not_stop_a_call():
    """Nothing bounded idle connections: a client could hold hundreds open and a GET stream forever."""
    with http_server({}, "--demo") as server:
        host, port = server.base.removeprefix("http://").split(":")
        idle = [socket.create_connection((host, int(port)), timeout=10) for _ in range(200)]
        try:
            answer = post(server.url, INITIALIZE)
            idle[0].settimeout(15)
            started = time.monotonic()
            closed = idle[0].recv(1) == b""  # the server hangs up on a connection that never sends a request
            waited = time.monotonic() - started
        finally:
            for connection in idle:
                connection.close()

    assert answer.status_code == 200
    assert closed and waited < 12


def test_a_client_that_sends_its_headers_a_line_at_a_time_is_dropped():
    with http_server({}, "--demo") as server:
        host, port = server.base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=20) as slow:
            started = time.monotonic()
            slow.sendall(b"POST /mcp HTTP/1.1\r\n")
            dropped = False
            while time.monotonic() - started < 20 and not dropped:
                try:
                    slow.sendall(b"x-slow: 1\r\n")
                    slow.settimeout(1)
                    dropped = slow.recv(1) == b""
                except TimeoutError:
                    continue
                except OSError:  # reset by the server
                    dropped = True
            waited = time.monotonic() - started

    assert dropped and waited < 15


def test_every_line_the_server_logs_has_one_format():
    """uvicorn once logged in its own format beside ours."""
    with http_server({"HOSTUP_LOG_LEVEL": "INFO"}, "--demo") as server:
        post(server.url, INITIALIZE)
    lines = [line for line in server.stderr().splitlines() if line.strip()]

    assert any(" uvicorn." in line for line in lines)  # uvicorn's own messages are there, in ours
    ours = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ [\w.]+: ")
    assert [line for line in lines if not ours.match(line)] == []
