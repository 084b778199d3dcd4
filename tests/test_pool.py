"""The connection pool under HostUpClient, over real sockets: it makes httpcore's decisions (reuse, keep-alive
limit, a server that hung up, a full pool) at a cost that grows with its size, not the square of it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
import httpcore
import httpx
import pytest
from pydantic import SecretStr

from hostup_mcp.config import Config
from hostup_mcp.hostup import pool, tls
from hostup_mcp.hostup.client import HostUpClient
from tests.fake_hostup import API_KEY, EXAMPLE_VPS_ID, FakeHostUp, serve_http
from tests.threaded_server import serving

pytestmark = pytest.mark.anyio
ANSWER = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"


class Counted:
    """An HTTP/1.1 server that answers every request with `{}` after `delay` seconds, counting its connections
    and how many were open at once; `hang_up_after` answers closes each connection after that many."""

    def __init__(self, delay: float = 0.0, hang_up_after: int | None = None) -> None:
        self.delay = delay
        self.hang_up_after = hang_up_after
        self.accepted = 0
        self.open = 0
        self.most_open = 0

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        answered = 0
        try:
            while self.hang_up_after is None or answered < self.hang_up_after:
                await reader.readuntil(b"\r\n\r\n")
                await asyncio.sleep(self.delay)
                writer.write(ANSWER)
                await writer.drain()
                answered += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open -= 1
            writer.close()


@contextmanager
def counted(server: Counted) -> Iterator[str]:
    with serving(server.connection) as port:
        yield f"http://127.0.0.1:{port}"


def client(limits: httpx.Limits) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=pool.transport(tls.context(), limits))


async def get_all(http: httpx.AsyncClient, url: str, count: int) -> None:
    async def one() -> None:
        assert (await http.get(url)).status_code == 200

    async with anyio.create_task_group() as group:
        for _ in range(count):
            group.start_soon(one)


async def test_hostup_calls_go_through_the_lean_pool_and_reuse_their_connections():
    server = FakeHostUp()
    with serve_http(server) as base_url:
        async with HostUpClient.connect(Config(api_key=SecretStr(API_KEY), base_url=base_url)) as hostup:
            for _ in range(3):
                await hostup.get_vps_iso_media(EXAMPLE_VPS_ID)
            transport = hostup._http._transport  # the one place a test looks inside: which pool is in use
            assert isinstance(transport, httpx.AsyncHTTPTransport)
            assert isinstance(transport._pool, pool.LeanConnectionPool)
            assert len(transport._pool.connections) == 1  # three calls, one after another: one connection


async def test_concurrent_requests_open_a_connection_each_and_the_next_round_reuses_them():
    server = Counted(delay=0.05)
    with counted(server) as url:
        async with client(httpx.Limits(max_connections=10, max_keepalive_connections=10)) as http:
            await get_all(http, url, 8)
            await get_all(http, url, 8)
    assert (server.accepted, server.most_open) == (8, 8)


async def test_a_full_pool_makes_requests_wait_for_a_connection_instead_of_opening_more():
    server = Counted(delay=0.05)
    with counted(server) as url:
        async with client(httpx.Limits(max_connections=2, max_keepalive_connections=2)) as http:
            await get_all(http, url, 7)
    assert (server.accepted, server.most_open) == (2, 2)


async def test_idle_connections_beyond_the_keep_alive_limit_are_closed():
    server = Counted(delay=0.05)
    with counted(server) as url:
        async with client(httpx.Limits(max_connections=10, max_keepalive_connections=3)) as http:
            await get_all(http, url, 6)
            await http.get(url)  # the pool tidies itself when a request comes and goes
            transport = http._transport
            assert isinstance(transport, httpx.AsyncHTTPTransport)
            idle = [connection for connection in transport._pool.connections if connection.is_idle()]
    assert len(idle) == 3


async def test_a_connection_the_server_hung_up_is_not_used_again():
    server = Counted(hang_up_after=1)
    with counted(server) as url:
        async with client(httpx.Limits(max_connections=10, max_keepalive_connections=10)) as http:
            for _ in range(3):
                assert (await http.get(url)).status_code == 200
                await anyio.sleep(0.05)  # the server's close reaches the client's socket
    assert server.accepted == 3


async def test_a_full_pool_closes_an_idle_connection_to_reach_another_host():
    first, second = Counted(), Counted()
    with counted(first) as first_url, counted(second) as second_url:
        async with client(httpx.Limits(max_connections=1, max_keepalive_connections=1)) as http:
            assert (await http.get(first_url)).status_code == 200
            with anyio.fail_after(5):
                assert (await http.get(second_url)).status_code == 200
            transport = http._transport
            assert isinstance(transport, httpx.AsyncHTTPTransport)
            assert len(transport._pool.connections) == 1
    assert (first.accepted, second.accepted, first.open) == (1, 1, 0)


async def test_the_bookkeeping_per_request_grows_with_the_pool_not_its_square(monkeypatch: pytest.MonkeyPatch):
    """httpcore 1.0 counted every connection again for each idle one: with 20 idle connections, over 400 checks
    for each request that came or went."""
    checks = 0
    is_idle = httpcore.AsyncHTTPConnection.is_idle

    def counting(connection: httpcore.AsyncHTTPConnection) -> bool:
        nonlocal checks
        checks += 1
        return is_idle(connection)

    server = Counted(delay=0.05)
    with counted(server) as url:
        async with client(httpx.Limits(max_connections=20, max_keepalive_connections=20)) as http:
            await get_all(http, url, 20)
            monkeypatch.setattr(httpcore.AsyncHTTPConnection, "is_idle", counting)
            await http.get(url)
    assert server.accepted == 20
    assert 0 < checks <= 2 * 3 * 20  # two tidy-ups (request in, request out), a few passes of 20 each


def test_a_socket_is_readable_with_data_or_once_its_peer_hung_up_and_not_otherwise():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        assert pool.readable(ours) is False
        theirs.send(b"x")
        assert pool.readable(ours) is True
        ours.recv(1)
        theirs.close()
        assert pool.readable(ours) is True
    assert pool.readable(None) is True  # no socket: treated as hung up, so the connection is not reused
