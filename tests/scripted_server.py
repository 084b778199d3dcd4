"""A scripted HTTP/1.1 server on 127.0.0.1 for transport faults a well-behaved server never makes.

Each path has a list of steps, one per request (the last repeats). A step either answers normally
or misbehaves on the wire: stalls, resets, truncates, lies about Content-Length. The server runs its
own event loop in a thread and records every request and every connection it sees closed.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import struct
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

Ending = Literal["keep", "close", "reset", "stall"]


@dataclass(frozen=True)
class Step:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    content_length: int | None = None  # None: the real length
    send_bytes: int | None = None  # None: the whole body
    ending: Ending = "keep"
    stall_before_headers: bool = False
    trickle_seconds: float = 0.0  # pause between single bytes of the body


def json_step(status: int, document: Any, **options: Any) -> Step:
    content_type = "application/json" if status < 400 else "application/problem+json"
    headers = {"content-type": content_type, **options.pop("headers", {})}
    return Step(status=status, headers=headers, body=json.dumps(document).encode(), **options)


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float
    method: str = "GET"
    body: bytes = b""


class ScriptedServer:
    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.tls = tls
        self.port = 0
        self.scripts: dict[str, list[Step]] = {}
        self.requests: list[Seen] = []
        self.counts: defaultdict[str, int] = defaultdict(int)
        self.closed_connections = 0
        self.open_connections = 0
        self.connection_closed = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._stop: asyncio.Event | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def script(self, path: str, *steps: Step) -> None:
        self.scripts[path] = list(steps)

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.path == path]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self.open_connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                method, path, _version = request_line.split(" ", 2)
                headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in header_lines if ": " in line)}
                length = int(headers.get("content-length", "0"))
                body = await reader.readexactly(length) if length else b""
                self.requests.append(Seen(path, headers, time.monotonic(), method, body))
                steps = self.scripts.get(path) or [Step(status=404, body=b"{}")]
                step = steps[min(self.counts[path], len(steps) - 1)]
                self.counts[path] += 1
                if not await self._answer(step, reader, writer):
                    return
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            return
        finally:
            self._handlers.discard(task)
            self.open_connections -= 1
            self.closed_connections += 1
            self.connection_closed.set()
            writer.close()

    async def _answer(self, step: Step, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Play one step; False when the connection is finished."""
        if step.stall_before_headers:
            await reader.read()  # until the client gives up and closes
            return False
        await asyncio.sleep(step.delay)
        length = len(step.body) if step.content_length is None else step.content_length
        head = f"HTTP/1.1 {step.status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in step.headers.items())
        if "transfer-encoding" not in {k.lower() for k in step.headers}:
            head += f"content-length: {length}\r\n"
        writer.write(head.encode() + b"\r\n")
        body = step.body if step.send_bytes is None else step.body[: step.send_bytes]
        if step.trickle_seconds:
            for index in range(len(body)):
                writer.write(body[index : index + 1])
                await writer.drain()
                await asyncio.sleep(step.trickle_seconds)
        else:
            writer.write(body)
        await writer.drain()
        if step.ending == "stall":
            await reader.read()
            return False
        if step.ending == "reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        return step.ending == "keep"

    async def _serve(self, ready: threading.Event) -> None:
        self._stop = asyncio.Event()
        self._server = await asyncio.start_server(self._handle, self.host, 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        ready.set()
        await self._stop.wait()
        self._server.close()
        for handler in list(self._handlers):
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    @contextmanager
    def running(self) -> Iterator[ScriptedServer]:
        ready = threading.Event()
        thread = threading.Thread(target=self._loop.run_until_complete, args=(self._serve(ready),), daemon=True)
        thread.start()
        ready.wait(5)
        try:
            yield self
        finally:
            assert self._stop is not None
            self._loop.call_soon_threadsafe(self._stop.set)
            thread.join(5)
            self._loop.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
