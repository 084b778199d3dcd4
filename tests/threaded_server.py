"""A TCP server on 127.0.0.1 whose connections an asyncio handler serves, on an event loop in its own
thread, so synchronous tests and other event loops can talk to it over real sockets."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextmanager
def serving(handler: Handler, tls: ssl.SSLContext | None = None) -> Iterator[int]:
    """Serve `handler` (over TLS with `tls`) until the block ends; yields the port."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop = asyncio.Event()
    port: list[int] = []
    writers: set[asyncio.StreamWriter] = set()

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.add(writer)
        try:
            await handler(reader, writer)
        finally:
            writers.discard(writer)

    async def serve() -> None:
        server = await asyncio.start_server(tracked, "127.0.0.1", 0, ssl=tls)
        port.append(server.sockets[0].getsockname()[1])
        ready.set()
        await stop.wait()
        server.close()
        # Connections still open (a kept-alive client, a handler mid-request) are closed and their handlers
        # ended before the loop goes: left to the garbage collector, their transports warn "unclosed".
        open_now = list(writers)
        for writer in open_now:
            writer.close()
        handlers = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, *(writer.wait_closed() for writer in open_now), return_exceptions=True)
        await server.wait_closed()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    ready.wait(5)
    try:
        yield port[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(5)
        loop.close()
