"""Validated, immutable configuration; built once from the environment by cli.py."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import SplitResult, urlsplit

from pydantic import SecretStr

DEFAULT_BASE_URL = "https://cloud.hostup.se"
SANDBOX_BASE_URL = "https://sandbox.hostup-mcp.invalid"  # .invalid never resolves: nothing can leave
DEFAULT_TIMEOUT_SECONDS = 20.0
MAX_TIMEOUT_SECONDS = 120.0
DEFAULT_LOG_LEVEL = "WARNING"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

ENV_API_KEY = "HOSTUP_API_KEY"
ENV_BASE_URL = "HOSTUP_BASE_URL"
ENV_TIMEOUT = "HOSTUP_TIMEOUT"
ENV_LOG_LEVEL = "HOSTUP_LOG_LEVEL"
ENV_DEMO = "HOSTUP_DEMO"
ENV_ENABLE_WRITES = "HOSTUP_ENABLE_WRITES"
ENV_UI = "HOSTUP_UI"
ENV_CONFIRM_TIMEOUT = "HOSTUP_CONFIRM_TIMEOUT"
ENV_CA_FILE = "HOSTUP_CA_FILE"
# Every variable the server reads in every transport (server.json lists exactly these).
SERVER_VARIABLES = (
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_TIMEOUT,
    ENV_LOG_LEVEL,
    ENV_DEMO,
    ENV_ENABLE_WRITES,
    ENV_UI,
    ENV_CONFIRM_TIMEOUT,
    ENV_CA_FILE,
)
# Hosts give up on a tool call after about 60 s; a form nobody answers must end the call well before.
DEFAULT_CONFIRM_TIMEOUT_SECONDS = 30.0
MAX_CONFIRM_TIMEOUT_SECONDS = 600.0

# The remote (Streamable HTTP) server's own settings.
HTTP_TRANSPORT = "HOSTUP_MCP_TRANSPORT"
HTTP_HOST = "HOSTUP_MCP_HOST"
HTTP_PORT = "HOSTUP_MCP_PORT"
HTTP_TOKENS = "HOSTUP_MCP_TOKENS"
HTTP_ALLOWED_ORIGINS = "HOSTUP_MCP_ALLOWED_ORIGINS"
HTTP_STATE_SECRET = "HOSTUP_MCP_STATE_SECRET"  # noqa: S105 - the variable's name, not a secret
HTTP_MAX_CALLS = "HOSTUP_MCP_MAX_CALLS"
HTTP_AUTH = "HOSTUP_MCP_AUTH"
HTTP_PUBLIC_URL = "HOSTUP_MCP_PUBLIC_URL"
HTTP_OAUTH_STORE = "HOSTUP_MCP_OAUTH_STORE"
DEFAULT_OAUTH_STORE = "hostup-mcp-oauth.sqlite3"
DEFAULT_HTTP_HOST = "127.0.0.1"
DEFAULT_HTTP_PORT = 8000
DEFAULT_MAX_CALLS = 32
MIN_TOKEN_CHARS = 16
MIN_STATE_SECRET_BYTES = 32
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


class ConfigError(ValueError):
    """A setting that the server refuses to start with; the message is meant for a human."""


@dataclass(frozen=True, slots=True)
class Config:
    api_key: SecretStr | None
    base_url: str = DEFAULT_BASE_URL
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    log_level: str = DEFAULT_LOG_LEVEL
    demo: bool = False
    enable_writes: bool = False
    ui: bool = True  # the MCP Apps view of list_vps_iso_media, for hosts that render views
    confirm_timeout_seconds: float = DEFAULT_CONFIRM_TIMEOUT_SECONDS  # how long a delete form may go unanswered
    # "request": no server key; each HTTP request brings its user's HostUp key (per-user mode).
    # "oauth": each request brings an access token this server issued when its user signed in with their key.
    key_source: Literal["server", "request", "oauth"] = "server"
    max_concurrent_calls: int | None = None  # tool calls in flight per process; None: no limit (stdio)
    ca_file: str | None = None  # a PEM file of CAs trusted for HostUp besides the OS trust store

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, demo: bool = False) -> Config:
        """Read every HOSTUP_* setting; an empty value counts as unset (bundle hosts send "" for blanks).

        In demo mode (`demo`, or HOSTUP_DEMO) the key and base URL are ignored, not even checked: the
        sandbox needs neither, and a stale value must not stop the demo.
        """
        config = cls(
            api_key=None,
            timeout_seconds=parse_timeout(env.get(ENV_TIMEOUT, "")),
            confirm_timeout_seconds=parse_seconds(
                ENV_CONFIRM_TIMEOUT,
                env.get(ENV_CONFIRM_TIMEOUT, ""),
                DEFAULT_CONFIRM_TIMEOUT_SECONDS,
                MAX_CONFIRM_TIMEOUT_SECONDS,
            ),
            log_level=parse_log_level(env.get(ENV_LOG_LEVEL, "")),
            enable_writes=parse_flag(ENV_ENABLE_WRITES, env.get(ENV_ENABLE_WRITES, "")),
            ui=parse_flag(ENV_UI, env.get(ENV_UI, ""), unset=True),
        )
        if demo or parse_flag(ENV_DEMO, env.get(ENV_DEMO, "")):
            return config.as_demo()
        return replace(
            config,
            api_key=parse_api_key(env.get(ENV_API_KEY, "")),
            base_url=parse_base_url(env.get(ENV_BASE_URL, "") or DEFAULT_BASE_URL),
            ca_file=parse_ca_file(env.get(ENV_CA_FILE, "")),
        )

    def as_demo(self) -> Config:
        """The same settings pointed at the in-process sandbox; the real key is dropped, never sent."""
        return replace(self, demo=True, api_key=SecretStr("sandbox"), base_url=SANDBOX_BASE_URL)


def parse_api_key(raw: str) -> SecretStr | None:
    if raw == "":
        return None
    # A key that cannot travel in an HTTP header is a paste error; never echo it back.
    if not all("\x21" <= char <= "\x7e" for char in raw):
        raise ConfigError(
            f"{ENV_API_KEY} contains spaces, line breaks or other characters an API key cannot have; "
            "copy the key again from https://cloud.hostup.se/api-management"
        )
    return SecretStr(raw)


def parse_ca_file(raw: str) -> str | None:
    """A readable file holding at least one PEM certificate; checked now so that a typo is not first seen
    as "HostUp's certificate could not be verified" on every call."""
    if raw == "":
        return None
    try:
        with open(raw, "rb") as file:
            pem = file.read()
    except OSError as exc:
        raise ConfigError(f"{ENV_CA_FILE} cannot be read: {exc.strerror} ({raw!r})") from None
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        raise ConfigError(f"{ENV_CA_FILE} holds no PEM certificate (-----BEGIN CERTIFICATE-----): {raw!r}")
    return raw


def parse_base_url(raw: str) -> str:
    try:
        parts = urlsplit(raw.strip())
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as exc:
        raise ConfigError(f"{ENV_BASE_URL} is not a valid URL: {exc}") from None
    shown = redacted(parts)
    if parts.scheme not in ("https", "http") or not host:
        raise ConfigError(f"{ENV_BASE_URL} must be an https:// URL such as {DEFAULT_BASE_URL}, got {shown!r}")
    if parts.scheme == "http" and not is_loopback(host):
        raise ConfigError(
            f"{ENV_BASE_URL} must use https:// (plain http is allowed only for localhost/127.0.0.1/::1, "
            f"for testing), got {shown!r}"
        )
    if parts.username is not None or parts.password is not None:
        raise ConfigError(f"{ENV_BASE_URL} must not contain credentials; put the key in {ENV_API_KEY}")
    if parts.query or parts.fragment:
        raise ConfigError(f"{ENV_BASE_URL} must not contain a query string or fragment, got {shown!r}")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def redacted(parts: SplitResult) -> str:
    """A URL fit for an error message, which lands in the client's log file: only the scheme and the host
    are shown. Credentials, path, query and fragment (where a pasted key would be, e.g. after the host) are
    replaced by ***, and so is whatever follows a space."""
    if not parts.scheme:  # no scheme: the host is the first segment of what urlsplit calls the path
        host, slash, rest = parts.path.partition("/")
        return first_word(host) + ("/***" if slash and rest else slash)
    host = first_word(parts.netloc.rpartition("@")[2])
    userinfo = "***@" if "@" in parts.netloc else ""
    path = "/***" if parts.path.strip("/") else parts.path
    query = "?***" if parts.query else ""
    fragment = "#***" if parts.fragment else ""
    return f"{parts.scheme}://{userinfo}{host}{path}{query}{fragment}"


def first_word(text: str) -> str:
    word, space, _ = text.strip().partition(" ")
    return word + (" ***" if space else "")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_timeout(raw: str) -> float:
    return parse_seconds(ENV_TIMEOUT, raw, DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS)


def parse_seconds(name: str, raw: str, default: float, maximum: float) -> float:
    if raw.strip() == "":
        return default
    try:
        seconds = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not 0 < seconds <= maximum:
        raise ConfigError(f"{name} must be more than 0 and at most {maximum:g} seconds")
    return seconds


def parse_flag(name: str, raw: str, *, unset: bool = False) -> bool:
    word = raw.strip().lower()
    if not word:
        return unset
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name} must be 1 or 0 (true/false, yes/no), got {raw!r}")


def parse_log_level(raw: str) -> str:
    level = raw.strip().upper() or DEFAULT_LOG_LEVEL
    if level not in LOG_LEVELS:
        raise ConfigError(f"{ENV_LOG_LEVEL} must be one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return level


def parse_bearer(header: str | None) -> SecretStr | None:
    """The credential in an `Authorization: Bearer <value>` header, if it is one that can be sent on."""
    scheme, _, value = (header or "").partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or not all("\x21" <= char <= "\x7e" for char in value):
        return None
    return SecretStr(value)


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """How the Streamable HTTP server listens and whom it lets in (see http.py for what each mode means)."""

    host: str = DEFAULT_HTTP_HOST
    port: int = DEFAULT_HTTP_PORT
    tokens: tuple[SecretStr, ...] = ()
    # The ring that seals question round trips: the first seals, every one opens (so replicas can rotate).
    state_secrets: tuple[SecretStr, ...] = ()
    max_concurrent_calls: int = DEFAULT_MAX_CALLS
    oauth: bool = False  # HOSTUP_MCP_AUTH=oauth: this server signs users in and issues their tokens
    public_url: str | None = None  # where clients reach this server (the OAuth issuer), without a path
    oauth_store: str = DEFAULT_OAUTH_STORE  # a SQLite file, or a redis:// URL that replicas share

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host.strip("[]"))

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], *, host: str | None = None, port: str | int | None = None
    ) -> HttpSettings:
        """`host` and `port` (command-line flags, as typed) win over HOSTUP_MCP_HOST and HOSTUP_MCP_PORT."""
        refuse_browser_origins(env.get(HTTP_ALLOWED_ORIGINS, ""))
        return cls(
            host=host or env.get(HTTP_HOST, "").strip() or DEFAULT_HTTP_HOST,
            port=parse_port(str(port), "--port") if port is not None else parse_port(env.get(HTTP_PORT, "")),
            tokens=parse_tokens(env.get(HTTP_TOKENS, "")),
            state_secrets=parse_state_secrets(env.get(HTTP_STATE_SECRET, "")),
            max_concurrent_calls=parse_count(HTTP_MAX_CALLS, env.get(HTTP_MAX_CALLS, ""), DEFAULT_MAX_CALLS),
            oauth=parse_auth(env.get(HTTP_AUTH, "")),
            public_url=parse_public_url(env.get(HTTP_PUBLIC_URL, "")),
            oauth_store=env.get(HTTP_OAUTH_STORE, "").strip() or DEFAULT_OAUTH_STORE,
        )

    def check(self, config: Config) -> None:
        """Refuse the combinations that would hand someone else's HostUp key to whoever can reach the port."""
        if config.demo:
            return
        if self.oauth:
            self.check_oauth(config)
            return
        if self.tokens and config.key_source == "request":
            raise ConfigError(
                f"{HTTP_TOKENS} is set but {ENV_API_KEY} is not: with no server key each request's Authorization "
                f"header carries the user's own HostUp key, so it cannot also carry an access token. Set "
                f"{ENV_API_KEY} to share one key behind the tokens, or unset {HTTP_TOKENS}."
            )
        if config.key_source == "server" and not self.loopback and not self.tokens:
            raise ConfigError(
                f"refusing to serve {ENV_API_KEY} on {self.host}, which is not a loopback address, without "
                f"{HTTP_TOKENS}: anyone who can reach the port would use your HostUp key. Set {HTTP_TOKENS} to one "
                f"or more comma-separated access tokens (at least {MIN_TOKEN_CHARS} characters), bind to "
                f"127.0.0.1, or unset {ENV_API_KEY} so that each user sends their own key."
            )

    def check_oauth(self, config: Config) -> None:
        if config.api_key is not None:
            raise ConfigError(
                f"{HTTP_AUTH}=oauth signs each user in with their own HostUp key, so {ENV_API_KEY} must not be set: "
                "unset it, or unset HOSTUP_MCP_AUTH to share that one key."
            )
        if self.tokens:
            raise ConfigError(
                f"{HTTP_TOKENS} has no use with {HTTP_AUTH}=oauth, which issues its own tokens: unset it."
            )
        if self.public_url is None:
            raise ConfigError(
                f"{HTTP_AUTH}=oauth needs {HTTP_PUBLIC_URL}: the https:// address clients reach this server at "
                "(e.g. https://mcp.example.com), which its tokens and sign-in page are issued for."
            )
        if not self.state_secrets:
            raise ConfigError(
                f"{HTTP_AUTH}=oauth needs {HTTP_STATE_SECRET}: it seals the tokens, so without it every restart would "
                "sign everyone out and replicas could not read each other's tokens "
                "(generate one with: python -c 'import secrets; print(secrets.token_hex(32))')"
            )


def parse_auth(raw: str) -> bool:
    value = raw.strip().lower()
    if value not in ("", "oauth"):
        raise ConfigError(
            f"{HTTP_AUTH} must be 'oauth' or unset (the key mode then follows from {ENV_API_KEY}), got {raw!r}"
        )
    return value == "oauth"


def parse_public_url(raw: str) -> str | None:
    """An origin: https, or http on a loopback address (to try it locally); no path, query or fragment."""
    value = raw.strip().rstrip("/")
    if value == "":
        return None
    parts = urlsplit(value)
    host = parts.hostname or ""
    secure = parts.scheme == "https" or (parts.scheme == "http" and (host == "localhost" or is_loopback(host)))
    if not secure or not host or parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(
            f"{HTTP_PUBLIC_URL} must be the https:// origin clients reach this server at, with no path "
            "(e.g. https://mcp.example.com; http:// only on 127.0.0.1 or localhost)"
        )
    return value


def parse_port(raw: str, name: str = HTTP_PORT) -> int:
    if raw.strip() == "":
        return DEFAULT_HTTP_PORT
    if not raw.strip().isascii() or not raw.strip().isdigit() or not 0 <= int(raw) <= 65535:
        raise ConfigError(f"{name} must be a port number (0-65535), got {raw!r}")
    return int(raw)


def parse_count(name: str, raw: str, default: int) -> int:
    if raw.strip() == "":
        return default
    if not raw.strip().isdigit() or int(raw) < 1:
        raise ConfigError(f"{name} must be a whole number of at least 1, got {raw!r}")
    return int(raw)


def refuse_browser_origins(raw: str) -> None:
    """Browsers are not supported (no CORS is served), so a setting that seems to admit some is refused
    rather than silently doing nothing."""
    if raw.strip():
        raise ConfigError(
            f"{HTTP_ALLOWED_ORIGINS} is no longer supported: this server does not serve browser clients (it sends "
            "no CORS headers), so no origin can be admitted. Remove it; MCP clients that are not browsers send no "
            "Origin and are not affected."
        )


def parse_state_secrets(raw: str) -> tuple[SecretStr, ...]:
    """Comma-separated; each at least MIN_STATE_SECRET_BYTES, the AEAD key size the SDK's sealing demands."""
    secrets = tuple(secret.strip() for secret in raw.split(",") if secret.strip())
    for secret in secrets:
        if len(secret.encode()) < MIN_STATE_SECRET_BYTES or not all("\x21" <= char <= "\x7e" for char in secret):
            raise ConfigError(
                f"each secret in {HTTP_STATE_SECRET} must be at least {MIN_STATE_SECRET_BYTES} printable characters "
                "without spaces (generate one with: python -c 'import secrets; print(secrets.token_hex(32))')"
            )
    return tuple(SecretStr(secret) for secret in secrets)


def parse_tokens(raw: str) -> tuple[SecretStr, ...]:
    tokens = tuple(token.strip() for token in raw.split(",") if token.strip())
    for token in tokens:
        if len(token) < MIN_TOKEN_CHARS or not all("\x21" <= char <= "\x7e" for char in token):
            # Never echo a token: it is a secret even when it is a bad one.
            raise ConfigError(
                f"each token in {HTTP_TOKENS} must be at least {MIN_TOKEN_CHARS} printable characters without "
                "spaces (generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
    return tuple(SecretStr(token) for token in tokens)
