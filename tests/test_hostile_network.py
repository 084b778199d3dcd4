"""The installed HTTP server on real sockets, against a hostile network: every request gets a whole answer
within a bound, exactly one unbroken access line, and nothing logs a traceback."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from tests.http_server import HttpServer, http_server

pytestmark = pytest.mark.posix  # stops servers with SIGTERM

ANSWER_WITHIN_SECONDS = 12  # the server's request deadline is 10 s
PATHS = ["/mcp", "/healthz", "/", "/.well-known/oauth-protected-resource", "/register", "/mcp/", "/%2e%2e/etc"]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]
INITIALIZE = json.dumps(
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
    }
).encode()


@pytest.fixture(scope="module")
def server() -> Iterator[HttpServer]:
    with http_server({}, "--demo") as running:
        yield running


def address(server: HttpServer) -> tuple[str, int]:
    host, port = server.base.removeprefix("http://").split(":")
    return host, int(port)


def exchange(server: HttpServer, raw: bytes) -> bytes:
    """Send `raw`, read until the server closes or a whole answer has come (Connection: close)."""
    with socket.create_connection(address(server), timeout=ANSWER_WITHIN_SECONDS) as connection:
        connection.sendall(raw)
        received = b""
        started = time.monotonic()
        while time.monotonic() - started < ANSWER_WITHIN_SECONDS:
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
        return received


def request(method: str, path: str, body: bytes = b"", *extra: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *extra]
    if body:
        lines += ["Content-Type: application/json", "Accept: application/json, text/event-stream"]
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def access_lines(server: HttpServer) -> list[str]:
    return [line for line in server.stderr().splitlines() if "hostup_mcp.access" in line and "/healthz" not in line]


def test_every_method_on_every_path_gets_a_whole_answer_and_one_line(server: HttpServer):
    before = len(access_lines(server))
    answers = [
        exchange(server, request(method, path, INITIALIZE if method == "POST" else b""))
        for method in METHODS
        for path in PATHS
    ]

    assert all(answer.startswith(b"HTTP/1.1 ") for answer in answers)
    time.sleep(0.5)  # each line is written just after its answer
    health = sum(path == "/healthz" for path in PATHS) * len(METHODS)
    assert len(access_lines(server)) - before == len(answers) - health
    assert "Traceback" not in server.stderr()


@pytest.mark.parametrize(
    "extra",
    [
        ("Authorization: Bearer a", "Authorization: Bearer b"),  # duplicate
        ("Authorization: Bearer \x7f",),  # a control character in a value
        ("X-Forged: 1\r\nFORGED 200 1 ms",),  # a header line without a colon
        ("Content-Length: 5", "Content-Length: 6"),
    ],
)
def test_malformed_and_duplicate_headers_get_an_answer_not_a_crash(server: HttpServer, extra: tuple[str, ...]):
    answer = exchange(server, request("POST", "/mcp", INITIALIZE, *extra))

    assert answer.startswith(b"HTTP/1.1 4") or answer.startswith(b"HTTP/1.1 2")
    assert "Traceback" not in server.stderr()
    assert not any(line.startswith("FORGED") for line in server.stderr().splitlines())


def test_a_body_that_never_comes_whole_is_dropped_within_the_bound_without_a_traceback(server: HttpServer):
    """Declared chunked, sent plain: the server waits for chunk framing that never comes."""
    started = time.monotonic()
    answer = exchange(server, request("POST", "/mcp", INITIALIZE, "Transfer-Encoding: chunked"))
    waited = time.monotonic() - started
    time.sleep(0.5)

    assert answer == b"" and waited < ANSWER_WITHIN_SECONDS + 2  # dropped at the request deadline (10 s)
    assert "Traceback" not in server.stderr()
    assert "the client went away before its request arrived whole" in server.stderr()


def test_half_open_and_idle_connections_do_not_keep_a_call_from_an_answer(server: HttpServer):
    idle = [socket.create_connection(address(server), timeout=5) for _ in range(500)]
    half = [socket.create_connection(address(server), timeout=5) for _ in range(20)]
    try:
        for connection in half:
            connection.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{")
            connection.shutdown(socket.SHUT_WR)  # the body never comes
        answer = exchange(server, request("POST", "/mcp", INITIALIZE))
    finally:
        for connection in idle + half:
            connection.close()

    assert answer.startswith(b"HTTP/1.1 200")
    assert "Traceback" not in server.stderr()
