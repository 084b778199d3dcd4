"""The TLS context for talking to HostUp: what the operating system trusts, plus any CA file named.

HostUp's certificate is checked against the OS trust store (truststore: the macOS Keychain, the Windows
certificate store, OpenSSL's system paths on Linux), so a TLS-inspecting proxy whose CA the user's machine
already trusts just works. A CA file named by SSL_CERT_FILE or HOSTUP_CA_FILE is trusted as well, on every OS.

Building the context loads certificates (tens of milliseconds); the stdio server starts it in a thread before
importing the MCP SDK (about a second of imports), so it is ready by the first request instead of delaying the
`initialize` answer. OpenSSL releases the GIL while it loads certificates.
"""

from __future__ import annotations

import os
import ssl
import threading
from concurrent.futures import Future

_contexts: dict[str | None, Future[ssl.SSLContext]] = {}
_lock = threading.Lock()


def start(ca_file: str | None = None) -> None:
    """Begin building the context for `ca_file` in the background; harmless to call more than once."""
    with _lock:
        if ca_file in _contexts:
            return
        future: Future[ssl.SSLContext] = Future()
        _contexts[ca_file] = future
    threading.Thread(target=_build, args=(future, ca_file), name="hostup-mcp-tls", daemon=True).start()


def context(ca_file: str | None = None) -> ssl.SSLContext:
    """The OS trust store plus SSL_CERT_FILE and `ca_file` when set, built once per `ca_file`."""
    start(ca_file)
    return _contexts[ca_file].result()


def build(ca_file: str | None) -> ssl.SSLContext:
    import truststore  # comes with mcp; imported here so the stdio start does not wait for it

    trusted = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # On Linux OpenSSL reads SSL_CERT_FILE itself; macOS and Windows would ignore it without this.
    for extra in (os.environ.get("SSL_CERT_FILE") or None, ca_file):
        if extra is not None and os.path.isfile(extra):
            trusted.load_verify_locations(cafile=extra)
    return trusted


def _build(future: Future[ssl.SSLContext], ca_file: str | None) -> None:
    try:
        future.set_result(build(ca_file))
    except BaseException as exc:  # handed to whoever waits in context()
        future.set_exception(exc)
