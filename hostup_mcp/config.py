"""Validated, immutable configuration; built once from the environment by cli.py."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, replace
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
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("", "0", "false", "no", "off")


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

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, demo: bool = False) -> Config:
        """Read every HOSTUP_* setting; an empty value counts as unset (bundle hosts send "" for blanks).

        In demo mode (`demo`, or HOSTUP_DEMO) the key and base URL are ignored, not even checked: the
        sandbox needs neither, and a stale value must not stop the demo.
        """
        config = cls(
            api_key=None,
            timeout_seconds=parse_timeout(env.get(ENV_TIMEOUT, "")),
            log_level=parse_log_level(env.get(ENV_LOG_LEVEL, "")),
            enable_writes=parse_flag(ENV_ENABLE_WRITES, env.get(ENV_ENABLE_WRITES, "")),
        )
        if demo or parse_flag(ENV_DEMO, env.get(ENV_DEMO, "")):
            return config.as_demo()
        return replace(
            config,
            api_key=parse_api_key(env.get(ENV_API_KEY, "")),
            base_url=parse_base_url(env.get(ENV_BASE_URL, "") or DEFAULT_BASE_URL),
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
    """A URL fit for an error message, which lands in the client's log file: credentials, query and
    fragment (where a pasted token would be) are replaced by ***."""
    host = parts.netloc.rpartition("@")[2]
    userinfo = "***@" if "@" in parts.netloc else ""
    query = "?***" if parts.query else ""
    fragment = "#***" if parts.fragment else ""
    return f"{parts.scheme}://{userinfo}{host}{parts.path}{query}{fragment}" if parts.scheme else f"{host}{parts.path}"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_timeout(raw: str) -> float:
    if raw.strip() == "":
        return DEFAULT_TIMEOUT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        raise ConfigError(f"{ENV_TIMEOUT} must be a number of seconds, got {raw!r}") from None
    if not 0 < seconds <= MAX_TIMEOUT_SECONDS:
        raise ConfigError(f"{ENV_TIMEOUT} must be more than 0 and at most {MAX_TIMEOUT_SECONDS:g} seconds")
    return seconds


def parse_flag(name: str, raw: str) -> bool:
    word = raw.strip().lower()
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
