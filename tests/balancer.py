"""A tiny HTTP/1.1 round-robin load balancer for the replica tests: every request (not every connection)
goes to the next upstream, like a balancer with no session affinity. An upstream that refuses the
connection is skipped for that request (passive health checking); if none answers, the client gets 502."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.threaded_server import serving


@dataclass
class Balancer:
    upstreams: list[tuple[str, int]]
    served: list[int] = field(default_factory=list)  # the upstream index of each request answered
    failed: int = 0  # requests no upstream answered (502)

    def __post_init__(self) -> None:
        self._next = itertools.cycle(range(len(self.upstreams)))

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                request = head + (await reader.readexactly(length) if length else b"")
                writer.write(await self.forward(request))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def forward(self, request: bytes) -> bytes:
        # One upstream connection per request, closed after it: no affinity of any kind.
        request = request.replace(b"\r\n\r\n", b"\r\nconnection: close\r\n\r\n", 1)
        for _ in range(len(self.upstreams)):
            index = next(self._next)
            try:
                reader, writer = await asyncio.open_connection(*self.upstreams[index])
            except OSError:
                continue
            try:
                writer.write(request)
                await writer.drain()
                response = await reader.read()
            finally:
                writer.close()
            if response:
                self.served.append(index)
                return response.replace(b"\r\nconnection: close", b"", 1)
        self.failed += 1
        return b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n"


@contextmanager
def balancing(upstreams: list[tuple[str, int]]) -> Iterator[tuple[str, Balancer]]:
    """Serve a Balancer on 127.0.0.1 from a thread; yields its base URL and the Balancer."""
    balancer = Balancer(upstreams)
    with serving(balancer.connection) as port:
        yield f"http://127.0.0.1:{port}", balancer
