"""The HTTP connection bound uvicorn lacks: a request's headers must arrive within a few seconds.

uvicorn closes a kept-alive connection that goes quiet after a response, but any byte cancels that
timer, and a connection that has not finished its first request has none: a client sending one header
line a second, or nothing at all, held a connection for as long as it liked. Here every connection has
HEADER_SECONDS, from when it opened or its last answer went out, to deliver a whole request line and
headers; otherwise it is closed.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_SECONDS = 10.0


class HeaderDeadlineProtocol(H11Protocol):
    _deadline: asyncio.TimerHandle | None = None
    _waiting_after: object = None  # the request cycle before the one whose headers are awaited

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def handle_events(self) -> None:
        super().handle_events()
        if self._deadline is not None and self.cycle is not self._waiting_after:  # a request's headers are in
            self._deadline.cancel()
            self._deadline = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._waiting_after = self.cycle
        self._deadline = self.loop.call_later(HEADER_SECONDS, self._too_slow)

    def _too_slow(self) -> None:
        self._deadline = None
        if self.cycle is self._waiting_after and not self.transport.is_closing():
            self.transport.close()
