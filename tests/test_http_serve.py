"""How the HTTP server is started, in process: the socket it listens on, the limits uvicorn is given, and the
one line that says where and how it serves. The console-script tests (test_http.py, test_hostile_network.py)
show the same from outside; these pin the settings docs/reliability.md promises."""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from pydantic import SecretStr
from starlette.requests import ClientDisconnect

from hostup_mcp import http
from hostup_mcp.config import Config, ConfigError, HttpSettings
from hostup_mcp.connections import RequestDeadlineProtocol

PER_USER = Config(api_key=None, key_source="request")
posix_only = pytest.mark.skipif(
    sys.platform == "win32", reason="Windows binds exclusively instead (SO_EXCLUSIVEADDRUSE)"
)


class Started:
    """What serve() handed uvicorn, instead of running it."""

    config: Any = None
    sockets: ClassVar[list[socket.socket]] = []


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[Started]]:
    class FakeServer:
        def __init__(self, config: Any) -> None:
            Started.config = config

        def run(self, sockets: list[socket.socket]) -> None:
            Started.sockets = sockets

    monkeypatch.setattr(http.uvicorn, "Server", FakeServer)
    yield Started
    for listener in Started.sockets:
        listener.close()
    Started.config, Started.sockets = None, []


def serving_line(caplog: pytest.LogCaptureFixture) -> str:
    (line,) = [record.getMessage() for record in caplog.records if record.getMessage().startswith("serving")]
    return line


def test_serve_gives_uvicorn_the_documented_limits_and_our_own_logging(started: type[Started]):
    config = Config(api_key=None, key_source="request", timeout_seconds=20, log_level="INFO")

    assert http.serve(config, HttpSettings(port=0)) == 0

    options = started.config
    assert isinstance(options.app, http.Gate) and options.app.config is config
    assert options.log_level == "info"
    assert options.access_log is False  # ours is the one access line
    assert options.log_config is None  # uvicorn's messages go through our handler, in our format
    assert options.timeout_graceful_shutdown == 25  # HOSTUP_TIMEOUT + 5 s for the answer to travel back
    assert options.timeout_keep_alive == http.IDLE_SECONDS == 5
    assert options.http is RequestDeadlineProtocol
    assert options.limit_concurrency == http.MAX_CONNECTIONS == 1024
    assert options.lifespan == "on"


def test_serve_listens_before_uvicorn_starts_and_says_where(started: type[Started], caplog):
    caplog.set_level(logging.WARNING, logger="hostup_mcp.http")

    http.serve(PER_USER, HttpSettings(port=0))

    (listener,) = started.sockets
    host, port = listener.getsockname()[:2]
    assert host == "127.0.0.1"
    with socket.create_connection((host, port), timeout=2):
        pass  # it listens already
    assert serving_line(caplog) == (
        f"serving MCP over Streamable HTTP at http://127.0.0.1:{port}/mcp — {http.key_mode(PER_USER, HttpSettings())};"
        " writes off"
    )


@pytest.mark.parametrize(
    ("config", "settings", "says"),
    [
        (PER_USER, HttpSettings(), "per-user key (each request sends its user's own HostUp key"),
        (Config(api_key=SecretStr("k" * 20)), HttpSettings(), "server key, local (loopback only"),
        (
            Config(api_key=SecretStr("k" * 20)),
            HttpSettings(host="0.0.0.0", tokens=(SecretStr("t" * 32), SecretStr("u" * 32))),
            "server key, shared (clients present one of 2 access tokens",
        ),
        (Config(api_key=None).as_demo(), HttpSettings(), "demo (the built-in sandbox"),
    ],
)
def test_the_key_mode_is_named_as_it_is(config: Config, settings: HttpSettings, says: str):
    assert http.key_mode(config, settings).startswith(says)


def test_an_ipv6_address_is_bracketed_and_writes_are_said(started: type[Started], caplog):
    caplog.set_level(logging.WARNING, logger="hostup_mcp.http")
    try:
        socket.socket(socket.AF_INET6).close()
    except OSError:
        pytest.skip("no IPv6 on this machine")

    http.serve(Config(api_key=None, key_source="request", enable_writes=True), HttpSettings(host="::1", port=0))

    port = started.sockets[0].getsockname()[1]
    assert serving_line(caplog).startswith(f"serving MCP over Streamable HTTP at http://[::1]:{port}/mcp — per-user")
    assert serving_line(caplog).endswith("; writes on")


def test_a_port_in_use_is_a_configuration_error_with_the_systems_reason(started: type[Started]):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError) as refused:
            http.serve(PER_USER, HttpSettings(port=port))
        with socket.socket() as second, pytest.raises(OSError) as system:  # noqa: PT011 - the system's own words
            second.bind(("127.0.0.1", port))

    assert str(refused.value) == f"cannot listen on 127.0.0.1 port {port}: {system.value.strerror}"
    assert started.config is None  # uvicorn never started


def test_a_port_the_system_cannot_take_is_a_configuration_error_with_the_reason(started: type[Started]):
    with pytest.raises(ConfigError) as refused:
        http.serve(PER_USER, HttpSettings(port=70000))

    assert str(refused.value).startswith("cannot listen on 127.0.0.1 port 70000: ")
    assert "65535" in str(refused.value)  # OverflowError's own words: the valid range


def test_serve_makes_a_client_that_went_away_one_line(started: type[Started]):
    http.serve(PER_USER, HttpSettings(port=0))

    filters = logging.getLogger("mcp.server.streamable_http").filters
    assert any(isinstance(installed, http.ClientWentAway) for installed in filters)


def test_a_client_that_went_away_is_logged_as_one_line_without_a_traceback():
    try:
        raise ClientDisconnect
    except ClientDisconnect:
        gone = logging.LogRecord("mcp", logging.ERROR, __file__, 1, "Error handling %s", ("POST",), sys.exc_info())
    other = logging.LogRecord("mcp", logging.ERROR, __file__, 1, "something else %s", ("x",), None)

    assert http.ClientWentAway().filter(gone) is True
    assert (gone.getMessage(), gone.exc_info, gone.exc_text) == (http.CLIENT_GONE, None, None)
    assert (gone.levelno, gone.levelname) == (logging.INFO, "INFO")
    assert http.ClientWentAway().filter(other) is True
    assert (other.getMessage(), other.levelno) == ("something else x", logging.ERROR)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "[::1]"])
def test_bind_listens_on_the_address_given(host: str):
    try:
        listener = http.bind(host, 0)
    except OSError:
        pytest.skip(f"{host} is not available on this machine")
    with listener:
        address, port = listener.getsockname()[:2]
        assert address == host.strip("[]")
        assert listener.type == socket.SOCK_STREAM
        with socket.create_connection((address, port), timeout=2):
            pass


def test_binding_all_ipv6_addresses_takes_ipv4_too():
    try:
        listener = http.bind("::", 0)
    except OSError:
        pytest.skip("no IPv6 on this machine")
    with listener:
        assert listener.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 0
        with socket.create_connection(("127.0.0.1", listener.getsockname()[1]), timeout=2):
            pass


@posix_only
def test_a_stopped_server_can_listen_again_at_once():
    with http.bind("127.0.0.1", 0) as listener:
        assert listener.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) != 0


@pytest.mark.skipif(sys.platform != "win32", reason="the exclusive bind is Windows' own")
def test_on_windows_no_other_process_can_bind_the_same_port():
    with http.bind("127.0.0.1", 0) as listener:
        assert listener.getsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE) != 0  # type: ignore[attr-defined]
        with socket.socket() as intruder, pytest.raises(OSError):  # noqa: PT011 - 10013 or 10048, by Windows version
            intruder.bind(("127.0.0.1", listener.getsockname()[1]))
