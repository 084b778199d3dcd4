"""The transport under HostUpClient: httpx's own, on an httpcore pool whose bookkeeping does not grow with the
square of its size.

httpcore 1.0 re-examines its whole pool whenever a request starts or ends: for each idle connection it counts
every connection again, and it asks each idle socket whether the server has hung up through anyio's attribute
lookup, which builds a table and calls getpeername() each time. With the 20 connections a busy remote server keeps
to HostUp, that was a quarter of the CPU of a tool call (docs/performance.md, "Over HTTP"). The decisions here are
httpcore's; only their cost changes: one pass over the pool, and a poll() on the socket each connection keeps.
"""

from __future__ import annotations

import select
import socket
import ssl
import sys
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]


def transport(ssl_context: ssl.SSLContext, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's transport (its request mapping, its errors), its connections kept by `LeanConnectionPool`."""
    http = httpx.AsyncHTTPTransport(verify=ssl_context, limits=limits)
    # httpx takes no pool from outside; `_pool` is the one attribute its transport sends through.
    http._pool = LeanConnectionPool(
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=ProbingBackend(),
    )
    return http


class LeanConnectionPool(httpcore.AsyncConnectionPool):
    """httpcore's pool with its one quadratic method done in linear time. One difference: the keep-alive limit
    counts idle connections, as its documentation says (httpcore 1.0 counts every connection, so a busy pool
    closed each connection the moment it went idle)."""

    def _assign_requests_to_connections(self) -> list[httpcore.AsyncConnectionInterface]:
        closing: list[httpcore.AsyncConnectionInterface] = []
        kept: list[httpcore.AsyncConnectionInterface] = []
        for connection in self._connections:
            if connection.is_closed():
                continue
            if connection.has_expired():  # probes the socket only when the connection is idle
                closing.append(connection)
            else:
                kept.append(connection)
        surplus = sum(connection.is_idle() for connection in kept) - self._max_keepalive_connections
        if surplus > 0:
            for connection in [connection for connection in kept if connection.is_idle()][:surplus]:
                kept.remove(connection)
                closing.append(connection)
        self._connections = kept

        for request in [request for request in self._requests if request.is_queued()]:
            origin = request.request.url.origin
            available = next((each for each in kept if each.can_handle_request(origin) and each.is_available()), None)
            if available is not None:
                request.assign_to_connection(available)
                continue
            if len(kept) >= self._max_connections:
                idle = next((each for each in kept if each.is_idle()), None)
                if idle is None:
                    continue  # the request waits for a connection to come free
                kept.remove(idle)
                closing.append(idle)
            new = self.create_connection(origin)
            kept.append(new)
            request.assign_to_connection(new)
        return closing


class ProbingBackend(httpcore.AnyIOBackend):
    """anyio's connections, each knowing its own socket, for the pool's hung-up check."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return ProbedStream(await super().connect_tcp(host, port, timeout, local_address, socket_options))


class ProbedStream(httpcore.AsyncNetworkStream):
    """A connection that answers "is there something to read?" from its socket directly. TLS keeps the socket.
    The signatures, timeouts included, are httpcore's."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._socket: socket.socket | None = stream.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> httpcore.AsyncNetworkStream:
        return ProbedStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return readable(self._socket)
        return self._stream.get_extra_info(info)


def readable(sock: socket.socket | None) -> bool:
    """Whether a read would return at once: data, or the end a server that hung up leaves. No socket counts as
    hung up, as it does for httpcore."""
    descriptor = -1 if sock is None else sock.fileno()
    if descriptor < 0:
        return True
    if sys.platform == "win32":
        return bool(select.select([descriptor], [], [], 0)[0])
    poll = select.poll()
    poll.register(descriptor, select.POLLIN)
    return bool(poll.poll(0))
