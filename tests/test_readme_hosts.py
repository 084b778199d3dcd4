"""The README's `claude mcp add`, `gemini mcp add` and `codex mcp add` lines, run as written by the pinned
CLIs themselves (only the command path, the key and the remote URL substituted), then connected."""

from __future__ import annotations

import re
import shlex
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_hostup import API_KEY, EXAMPLE_VPS_ID, FakeHostUp, serve_http
from tests.http_server import HttpServer, http_server
from tests.model_stand_in import ToolCall
from tests.other_clients import node_bin
from tests.real_hosts import base_env, claude, claude_env, run, run_codex
from tests.stdio_session import console_script

pytestmark = pytest.mark.posix  # stops servers with SIGTERM

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
CHECKOUT_COMMAND = "uvx --from /path/to/hostup-mcp hostup-mcp"
PLACEHOLDER_URL = "https://mcp.example.com/mcp"


def readme_lines(cli: str, *, remote: bool) -> list[str]:
    lines = [line for line in README.splitlines() if line.startswith(f"{cli} mcp add ")]
    chosen = [line for line in lines if (PLACEHOLDER_URL in line) is remote]
    assert chosen, f"the README has no {'remote' if remote else 'stdio'} `{cli} mcp add` line"
    return chosen


def as_run_here(line: str, url: str = "") -> list[str]:
    """The README line with what differs on this machine substituted: the installed command (the README's
    uvx line builds the checkout, which test_distribution runs), the test key, the local server."""
    line = line.replace(CHECKOUT_COMMAND, shlex.quote(console_script()))
    line = re.sub(r"your-(hostup-)?key", API_KEY, line).replace(PLACEHOLDER_URL, url)
    words = shlex.split(line)
    return [node_bin(words[0]), *words[1:]]


@pytest.fixture(scope="module")
def per_user() -> Iterator[HttpServer]:
    with serve_http(FakeHostUp()) as hostup, http_server({"HOSTUP_BASE_URL": hostup}) as server:
        yield server


def added(home: str, lines: list[str], url: str = "", env: dict[str, str] | None = None) -> None:
    for line in lines:
        done = run(as_run_here(line, url), env or base_env(home), home)
        assert done.returncode == 0, done.stdout + done.stderr


def test_claude_code_lists_the_readmes_stdio_servers_as_connected():
    with tempfile.TemporaryDirectory() as home:
        added(home, readme_lines("claude", remote=False), env=claude_env(home))
        listed = claude(home, "mcp", "list").stdout

    assert re.search(r"^hostup: .* ✔ Connected$", listed, re.MULTILINE), listed
    assert re.search(r"^hostup-demo: .* ✔ Connected$", listed, re.MULTILINE), listed


def test_claude_code_connects_to_the_remote_server_with_the_readmes_header(per_user: HttpServer):
    with tempfile.TemporaryDirectory() as home:
        added(home, readme_lines("claude", remote=True), per_user.url, env=claude_env(home))
        listed = claude(home, "mcp", "list").stdout

    assert re.search(r"^hostup: .* ✔ Connected$", listed, re.MULTILINE), listed


def test_claude_code_without_a_key_shows_our_send_your_key_message(per_user: HttpServer):
    (line,) = readme_lines("claude", remote=True)
    without_key = re.sub(r' --header "[^"]*"', "", line)
    with tempfile.TemporaryDirectory() as home:
        added(home, [without_key], per_user.url, env=claude_env(home))
        listed = claude(home, "mcp", "list").stdout

    assert "Failed to connect" in listed
    assert "Send your own HostUp API key as 'Authorization: Bearer <key>'" in listed, listed


def gemini_env(home: str) -> dict[str, str]:
    return base_env(home) | {"GEMINI_CLI_TRUST_WORKSPACE": "true", "NO_BROWSER": "1"}


def test_gemini_cli_lists_the_readmes_servers_as_connected(per_user: HttpServer):
    with tempfile.TemporaryDirectory() as home:
        lines = readme_lines("gemini", remote=False) + readme_lines("gemini", remote=True)
        remote = [line.replace(" hostup ", " hostup-remote ") for line in readme_lines("gemini", remote=True)]
        added(home, readme_lines("gemini", remote=False) + remote, per_user.url, env=gemini_env(home))
        done = run([node_bin("gemini"), "mcp", "list"], gemini_env(home), home)
        listed = done.stdout + done.stderr

    assert len(lines) == 3
    for name in ("hostup", "hostup-demo", "hostup-remote"):
        assert re.search(rf"^✓ {name}: .* - Connected$", listed, re.MULTILINE), listed


def test_codex_cli_runs_the_readmes_stdio_servers():
    """`codex mcp add` writes the config; Codex then calls the demo server's tool for the stand-in model."""
    lines = readme_lines("codex", remote=False)
    script = [ToolCall("hostup_demo.list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})]
    done = run_codex(script, None, added_by=lambda home, env: added(home, lines, env=env))

    assert "Ubuntu 24.04 LTS" in done.conversation.result(0)
    assert any(name.endswith("hostup.list_vps") for name in done.offered_names()), done.offered_names()


def test_codex_cli_runs_the_readmes_remote_server_with_the_key_from_its_environment(per_user: HttpServer):
    lines = readme_lines("codex", remote=True)
    script = [ToolCall("hostup.list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})]
    done = run_codex(
        script,
        None,
        added_by=lambda home, env: added(home, lines, per_user.url, env=env),
        extra_env={"HOSTUP_API_KEY": API_KEY},
    )

    assert "Ubuntu 24.04 LTS" in done.conversation.result(0)
