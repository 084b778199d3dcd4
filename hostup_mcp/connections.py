"""The HTTP connection bound uvicorn lacks: a whole request must arrive within a few seconds.

uvicorn closes a kept-alive connection that goes quiet after a response, but any byte cancels that
timer, a connection that has not finished its first request has none, and a request body is waited for
as long as it takes: a client sending one header line a second, a body that never comes, or nothing at
all held a connection for as long as it liked. Here every connection has REQUEST_SECONDS, from when it
opened or its last answer went out, to deliver a whole request (line, headers and body: at most 64 KiB,
which any working client sends in far less); otherwise it is closed.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

REQUEST_SECONDS = 10.0


class RequestDeadlineProtocol(H11Protocol):
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def handle_events(self) -> None:
        super().handle_events()
        if self._deadline is not None and self.conn.their_state is h11.DONE:  # the whole request is in
            self._deadline.cancel()
            self._deadline = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(REQUEST_SECONDS, self._too_slow)

    def _too_slow(self) -> None:
        self._deadline = None
        if self.conn.their_state is not h11.DONE and not self.transport.is_closing():
            self.transport.close()
