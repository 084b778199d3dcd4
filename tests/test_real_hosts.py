"""What the real hosts hand the model, for whole tool round trips against the installed server.

Each host runs headless with the scripted model stand-in, which asks for the same calls and records what
the host put in front of the model after each: for Claude Code and Codex only the JSON of the structured
content, for Gemini CLI the text. Every scenario (tests/host_scenarios.py) must be understood from that
alone.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.host_scenarios import SCRIPT, assert_row
from tests.http_server import HttpServer, http_server
from tests.real_hosts import HOSTS, Remote, Stdio, ThroughMcpRemote, run_claude

pytestmark = pytest.mark.posix  # stops servers with SIGTERM


@pytest.fixture(scope="module")
def remote() -> Iterator[HttpServer]:
    with http_server({}, "--demo", "--enable-writes") as server:
        yield server


STDIO = Stdio(args=("--demo", "--enable-writes"))


@pytest.mark.parametrize("host", list(HOSTS))
def test_over_stdio_the_host_hands_the_model_enough_to_act_on(host: str):
    assert_row(f"{host} (stdio)", HOSTS[host](SCRIPT, STDIO))


@pytest.mark.parametrize("host", list(HOSTS))
def test_over_http_the_host_hands_the_model_enough_to_act_on(host: str, remote: HttpServer):
    assert_row(f"{host} (HTTP)", HOSTS[host](SCRIPT, Remote(remote.url)))


def test_through_mcp_remote_claude_code_hands_the_model_enough_to_act_on(remote: HttpServer):
    """How Claude Desktop reaches a remote server: mcp-remote as its stdio server."""
    assert_row("mcp-remote (Claude Code → mcp-remote → HTTP)", run_claude(SCRIPT, ThroughMcpRemote(remote.url)))


def test_claude_code_keeps_the_list_tools_loaded_and_defers_the_rest():
    """`anthropic/alwaysLoad` on list_vps and list_vps_iso_media: they are in the model's first tool list,
    with no tool search; the others are found through ToolSearch when needed."""
    run = run_claude([], STDIO)
    first = run.conversation.requests[0]["body"]
    names = [tool.get("name") for tool in first["tools"]]

    assert "mcp__hostup__list_vps" in names and "mcp__hostup__list_vps_iso_media" in names
    assert not any(str(name).startswith("mcp__hostup__") and "list_vps" not in str(name) for name in names)
    assert "ToolSearch" in names  # how the model reaches get_job and the writes
