"""The TLS context for talking to HostUp, built once per process.

Loading the CA bundle takes tens of milliseconds; the stdio server starts building it in a thread
before importing the MCP SDK (about a second of imports), so it is ready by the first request
instead of delaying the `initialize` answer. OpenSSL releases the GIL while it loads certificates.
"""

from __future__ import annotations

import ssl
import threading
from concurrent.futures import Future

_context: Future[ssl.SSLContext] | None = None
_lock = threading.Lock()


def start() -> None:
    """Begin building the context in the background; harmless to call more than once."""
    global _context
    with _lock:
        if _context is not None:
            return
        _context = Future()
    threading.Thread(target=_build, args=(_context,), name="hostup-mcp-tls", daemon=True).start()


def context() -> ssl.SSLContext:
    """httpx's default verification (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), built once."""
    start()
    assert _context is not None
    return _context.result()


def _build(future: Future[ssl.SSLContext]) -> None:
    try:
        import httpx

        future.set_result(httpx.create_ssl_context())
    except BaseException as exc:  # handed to whoever waits in context()
        future.set_exception(exc)
