"""Streamable HTTP: one stateless app that many users and many replicas can share.

Every request stands alone (`stateless_http=True`, JSON responses, nothing kept between requests), so
any replica behind any load balancer can answer it, in both protocol eras. Whose HostUp key a request
uses is the mode, chosen by configuration and printed at start:

- per-user: no HOSTUP_API_KEY. Each request carries its user's own HostUp key as `Authorization:
  Bearer <key>`, the way HostUp takes it; it is used for that request's HostUp calls only and sent
  only to HOSTUP_BASE_URL. A request without one gets a 401 saying how to send it.
- server key, local: HOSTUP_API_KEY, bound to a loopback address: like stdio, with Host/Origin
  (DNS-rebinding) protection.
- server key, shared: HOSTUP_API_KEY on any other address: clients must present one of
  HOSTUP_MCP_TOKENS as `Authorization: Bearer`; without tokens the server refuses to start.
- demo: the sandbox; no key in any direction.
- OAuth (HOSTUP_MCP_AUTH=oauth): this server is its users' authorization server (hostup_mcp.oauth); a user
  signs in once with their HostUp key and the client sends the access token it got.

Outside OAuth mode no OAuth metadata is advertised: every path but /mcp and /healthz is a 404, whatever the
key, so hosts that probe for OAuth discovery find none.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn
from mcp.server.request_state import RequestStateSecurity
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import SecretStr
from starlette.requests import ClientDisconnect

from hostup_mcp.config import ENV_API_KEY, HTTP_TOKENS, Config, ConfigError, HttpSettings, parse_bearer
from hostup_mcp.connections import RequestDeadlineProtocol
from hostup_mcp.oauth import AUTHORIZATION_SERVER_METADATA, OAUTH_PATHS, SIGN_IN_PATH
from hostup_mcp.oauth.store import StoreError
from hostup_mcp.server import QUESTION_SECONDS, build_server

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MCP_PATH = "/mcp"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 64 * 1024  # the largest call (download_vps_iso) is ~3 KiB; the SDK's default is 4 MiB
SHUTDOWN_GRACE_SECONDS = 5.0  # beyond HOSTUP_TIMEOUT, for the answer to travel back
IDLE_SECONDS = 5  # a kept-alive connection with no request in it is closed after this
MAX_CONNECTIONS = 1024

SEND_YOUR_KEY = (
    "Send your own HostUp API key as 'Authorization: Bearer <key>'. Create one with the read:vm scope (write:vm and "
    "write:storage for changes) at https://cloud.hostup.se/api-management. It is used for this request's HostUp "
    "calls only and never stored."
)
PRESENT_A_TOKEN = (
    f"This server uses its own {ENV_API_KEY}: present one of its access tokens ({HTTP_TOKENS}) as "
    "'Authorization: Bearer <token>'. Ask whoever runs it for one."
)

NO_BROWSERS = {
    "error": "origin_not_allowed",
    "error_description": "Requests from web pages (with an Origin header) are not served: this server sends no "
    "CORS headers. Use an MCP client that is not a browser page.",
}
POST_ONLY = {
    "error": "method_not_allowed",
    "error_description": "This stateless server takes MCP requests as POST only: it offers no event stream (GET) "
    "and keeps no session (DELETE).",
}
AMBIGUOUS_AUTHORIZATION = {
    "error": "invalid_request",
    "error_description": "More than one Authorization header: send exactly one.",
}

access_log = logging.getLogger("hostup_mcp.access")
logger = logging.getLogger(__name__)


def key_mode(config: Config, settings: HttpSettings) -> str:
    if config.demo:
        return "demo (the built-in sandbox; no key needed)"
    if config.key_source == "request":
        return "per-user key (each request sends its user's own HostUp key as Authorization: Bearer)"
    if config.key_source == "oauth":
        return f"OAuth (users sign in at {settings.public_url} with their own HostUp key)"
    if settings.tokens:
        return f"server key, shared (clients present one of {len(settings.tokens)} access tokens as Bearer)"
    return "server key, local (loopback only, Host/Origin checked)"


def build_app(config: Config, settings: HttpSettings, **server_options: Any) -> ASGIApp:
    """The whole HTTP app; `server_options` (a test's fake HostUp transport) go to build_server."""
    oauth = None
    if config.key_source == "oauth":
        from hostup_mcp.oauth.app import oauth_mode  # only this mode needs the OAuth machinery

        oauth = oauth_mode(config, settings, transport=server_options.get("transport"))
        server_options["auth"] = oauth.server_options()
    server = build_server(config, state_security=state_security(config, settings), **server_options)
    if oauth is not None:
        server.custom_route(SIGN_IN_PATH, methods=["GET", "POST"])(oauth.sign_in.handle)
    mcp_app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        max_request_body_size=MAX_BODY_BYTES,
        transport_security=host_checks(settings),
        host=settings.host,
    )
    if oauth is None:
        return Gate(mcp_app, config, settings)
    from hostup_mcp.oauth.app import closing_store, unavailable

    mcp_app.add_exception_handler(Exception, unavailable)
    mcp_app.router.lifespan_context = closing_store(mcp_app.router.lifespan_context, oauth.provider.store)
    return Gate(mcp_app, config, settings, oauth.metadata())


def host_checks(settings: HttpSettings) -> TransportSecuritySettings:
    """On loopback, only local Host and Origin headers (a web page cannot rebind a name onto 127.0.0.1).
    Elsewhere the public name is the balancer's business; Origin is checked by Gate."""
    if not settings.loopback:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    # The bound address itself too: on 127.0.0.2 every request's Host is 127.0.0.2, which is as local.
    local = list(dict.fromkeys(["127.0.0.1", "localhost", "[::1]", bracketed(settings.host)]))
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"{name}:*" for name in local] + local,
        allowed_origins=[f"http://{name}:*" for name in local],
    )


def bracketed(host: str) -> str:
    address = host.strip("[]")
    return f"[{address}]" if ":" in address else address


def state_security(config: Config, settings: HttpSettings) -> RequestStateSecurity:
    """How the state of a 2026-07-28 question round trip (the delete confirmation) is sealed.

    Replicas must share HOSTUP_MCP_STATE_SECRET for an answer to reach another replica than the one
    that asked; without it each process seals with its own key. It is a ring: the first secret seals,
    every one opens, so replicas rotate by putting the new one first and dropping the old one later. In
    per-user mode the state is bound to the user's key, so nobody can replay another user's confirmation.
    """
    keys: list[str | bytes] = [secret.get_secret_value() for secret in settings.state_secrets] or [os.urandom(32)]
    if config.key_source == "request":
        return RequestStateSecurity(keys=keys, ttl=QUESTION_SECONDS, bind_principal=key_principal)
    return RequestStateSecurity(keys=keys, ttl=QUESTION_SECONDS)


def key_principal(ctx: Any) -> str | None:
    headers = getattr(ctx.request, "headers", None)
    key = parse_bearer(headers.get("authorization") if headers is not None else None)
    return hashlib.sha256(key.get_secret_value().encode()).hexdigest() if key else None


class Gate:
    """In front of the MCP app: health, who may call, Origin off loopback, and one access-log line per
    request: client address, who (a keyed fingerprint of the credential, never the credential), method,
    path, JSON-RPC method and tool, status, duration."""

    def __init__(
        self, app: ASGIApp, config: Config, settings: HttpSettings, oauth_metadata: dict[str, Any] | None = None
    ) -> None:
        self.app = app
        self.config = config
        self.settings = settings
        self.oauth_metadata = oauth_metadata
        # Replicas that share the state secret log the same user with the same fingerprint. The key is derived
        # from that secret, never the secret itself: one key, one purpose (the secret also seals questions).
        secrets = settings.state_secrets
        root = secrets[0].get_secret_value().encode() if secrets else os.urandom(32)
        self.fingerprint_key = hmac.new(root, b"hostup-mcp access-log fingerprint", hashlib.sha256).digest()

    def who(self, scope: Scope) -> str:
        """`u:` and 8 hex digits of an HMAC of the Bearer credential, to trace one user's requests on a shared
        server without being able to recover (or even test a guess of) the key; `-` without one."""
        values = [value for name, value in scope["headers"] if name.lower() == b"authorization"]
        if not values:
            return "-"
        return "u:" + hmac.new(self.fingerprint_key, b"\x00".join(values), hashlib.sha256).hexdigest()[:8]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan: the SDK's session manager starts and stops here
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        seen = Seen()
        try:
            await self.dispatch(scope, seen.receiving(receive), seen.sending(send))
        except StoreError as exc:  # OAuth mode's store is down: answered 503 already; said here, no traceback
            logger.error("%s", exc)
        finally:
            client = scope.get("client")
            access_log.info(
                "%s %s %s %s %s %s %.0f ms",
                loggable(str(client[0]), 64) if client else "-",
                self.who(scope),
                loggable(scope["method"], 16),
                loggable(scope["path"], 200),
                seen.what(),
                seen.status,
                seen.ms(started),
            )

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        if scope["path"] == HEALTH_PATH:
            await respond(send, 200, {"status": "ok"})
            return
        if self.oauth_metadata is not None and scope["path"] in OAUTH_PATHS:
            if scope["path"] == AUTHORIZATION_SERVER_METADATA and scope["method"] == "GET":
                await respond(send, 200, self.oauth_metadata)
                return
            await self.app(scope, receive, send)  # the SDK's OAuth routes and the sign-in page
            return
        if scope["path"] != MCP_PATH:
            # Before any key check: hosts probe OAuth discovery (/.well-known/oauth-*, /register) even with
            # a key configured, and anything but a definitive 404 there makes them start an OAuth sign-in.
            await respond(send, 404, self.not_here())
            return
        if scope["method"] != "POST":
            # Stateless JSON: no stream to open with GET and no session to end with DELETE. The spec's answer
            # is 405; the SDK would hold a GET open as an event stream that never sends a byte.
            await respond(send, 405, POST_ONLY, {"allow": "POST"})
            return
        if sum(name.lower() == b"authorization" for name, _ in scope["headers"]) > 1:
            # Which one would count? Whoever reads the first and whoever reads the last would disagree.
            await respond(send, 400, AMBIGUOUS_AUTHORIZATION)
            return
        origin = headers.get("origin")
        if origin is not None and not self.settings.loopback:
            await respond(send, 403, NO_BROWSERS)
            return
        refusal = self.refusal(headers.get("authorization"))
        if refusal is not None:
            await respond(send, 401, refusal, {"www-authenticate": challenge(refusal)})
            return
        await self.app(scope, receive, send)

    def refusal(self, authorization: str | None) -> dict[str, str] | None:
        """Why a request may not go on, as a 401 body; None when it may."""
        if self.config.demo or self.config.key_source == "oauth":  # the SDK checks OAuth tokens (and says how)
            return None
        presented = parse_bearer(authorization)
        if self.config.key_source == "request":
            if presented is not None:
                return None
            return {"error": "missing_hostup_key", "error_description": SEND_YOUR_KEY}
        if not self.settings.tokens or (presented is not None and matches_any(presented, self.settings.tokens)):
            return None
        return {"error": "invalid_token", "error_description": PRESENT_A_TOKEN}

    def not_here(self) -> dict[str, str]:
        """A 404 that says how to authenticate: hosts that fall back to OAuth registration show its body
        ("Dynamic Client Registration rejected (HTTP 404): …"), so it is where a person reads what to do."""
        if self.config.demo or (self.config.key_source == "server" and not self.settings.tokens):
            how = "This server needs no credentials."
        else:
            how = SEND_YOUR_KEY if self.config.key_source == "request" else PRESENT_A_TOKEN
        return {"error": "not_found", "error_description": f"Not found, and there is no OAuth here. {how}"}


def loggable(value: str, limit: int) -> str:
    """A value from the request, fit for one log line: every character that is not printable (a newline, a
    control or format character), a space and a backslash are escaped, so nobody can end the line and
    forge the next; bounded, so nobody can flood it."""
    text = value[:limit]
    escaped = "".join(char if char.isprintable() and char not in " \\" else escape(char) for char in text)
    return escaped + ("…" if len(value) > limit else "")


def escape(char: str) -> str:
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def challenge(refusal: dict[str, str]) -> str:
    """RFC 6750's challenge with the body's words, since some hosts show only the header. No `error` code
    (the RFC asks for none when no credentials came) and no `resource_metadata`: there is no OAuth here."""
    return f'Bearer realm="hostup-mcp", error_description="{refusal["error_description"]}"'


def matches_any(presented: SecretStr, tokens: tuple[SecretStr, ...]) -> bool:
    """Constant time in the token compared, and every token is compared, so timing tells nothing."""
    value = presented.get_secret_value().encode()
    results = [hmac.compare_digest(value, token.get_secret_value().encode()) for token in tokens]
    return any(results)


class Seen:
    """What passed through: the status sent, and the JSON-RPC method and tool name of the body."""

    def __init__(self) -> None:
        self.status = 0
        self.body = bytearray()

    def receiving(self, receive: Receive) -> Receive:
        async def tee() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(self.body) <= MAX_BODY_BYTES:
                self.body += message.get("body", b"")
            return message

        return tee

    def sending(self, send: Send) -> Send:
        async def note(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
            await send(message)

        return note

    def what(self) -> str:
        """`tools/call list_vps` or `initialize`; `-` when the body is not one JSON-RPC request."""
        try:
            request = json.loads(self.body)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
            return "-"
        if not isinstance(request, dict):
            return "-"
        method = str(request.get("method", "-"))
        params = request.get("params")
        name = params.get("name") if isinstance(params, dict) and method == "tools/call" else None
        return f"{loggable(method, 40)} {loggable(name, 64)}" if isinstance(name, str) else loggable(method, 40)

    @staticmethod
    def ms(started: float) -> float:
        return (time.monotonic() - started) * 1000


async def respond(send: Send, status: int, document: dict[str, Any], headers: dict[str, str] | None = None) -> None:
    body = json.dumps(document).encode()
    fields = {"content-type": "application/json", "content-length": str(len(body)), **(headers or {})}
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(k.encode(), v.encode()) for k, v in fields.items()],
        }
    )
    await send({"type": "http.response.body", "body": body})


class ClientWentAway(logging.Filter):
    """The SDK logs a traceback when a client disconnects before its request body arrived (or when the
    request deadline dropped it): the client's doing, so one line without a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], ClientDisconnect):
            record.msg, record.args, record.exc_info, record.exc_text = CLIENT_GONE, (), None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


CLIENT_GONE = "the client went away before its request arrived whole"


def serve(config: Config, settings: HttpSettings) -> int:
    """Run until SIGTERM or Ctrl-C; calls in flight finish first."""
    settings.check(config)
    access_log.setLevel(logging.INFO)  # one line per request, whatever HOSTUP_LOG_LEVEL says
    logging.getLogger("mcp.server.streamable_http").addFilter(ClientWentAway())
    try:
        listener = bind(settings.host, settings.port)
    except (OSError, OverflowError) as exc:  # in use, not this machine's address, unresolvable
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"cannot listen on {settings.host} port {settings.port}: {reason}") from None
    host, port = listener.getsockname()[:2]
    where = f"[{host}]" if ":" in host else host
    writes = "writes on" if config.enable_writes else "writes off"
    logger.warning(
        "serving MCP over Streamable HTTP at http://%s:%d%s — %s; %s",
        where,
        port,
        MCP_PATH,
        key_mode(config, settings),
        writes,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            build_app(config, settings),
            log_level=config.log_level.lower(),
            access_log=False,  # ours is one line per request on stderr, without header values
            log_config=None,  # uvicorn's own messages go through our handler, in our one format
            timeout_graceful_shutdown=int(config.timeout_seconds + SHUTDOWN_GRACE_SECONDS),
            timeout_keep_alive=IDLE_SECONDS,
            http=RequestDeadlineProtocol,
            # Past this many connections (and requests in them) at once, uvicorn answers 503 at once instead
            # of letting idle or slow clients hold the process.
            limit_concurrency=MAX_CONNECTIONS,
            lifespan="on",
        )
    )
    server.run(sockets=[listener])
    return 0


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before uvicorn starts, so port 0 works and the real port is known.

    On Windows SO_REUSEADDR would let another process bind the same port and receive users' keys, so the
    bind is exclusive there. `::` listens on IPv6 and IPv4 alike on every system (Windows defaults to
    IPv6 only)."""
    address = host.strip("[]")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        if sys.platform == "win32":
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)  # type: ignore[attr-defined]
        else:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart at once after a stop
        if family == socket.AF_INET6 and ipaddress.ip_address(address) == ipaddress.IPv6Address("::"):
            listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        listener.bind((address, port))
        listener.listen(128)
    except BaseException:
        listener.close()
        raise
    return listener
