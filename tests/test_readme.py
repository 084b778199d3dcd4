"""The README's set-up snippets and tool table must stay true to the code."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from mcp import Client

from hostup_mcp.cli import build_parser
from hostup_mcp.config import Config
from hostup_mcp.hostup.sandbox import EXAMPLE_VPS_ID
from hostup_mcp.http import MCP_PATH
from hostup_mcp.server import build_server

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
JSON_BLOCKS = re.findall(r"```json\n(.*?)```", README, re.DOTALL)


def server_entries(remote: bool = False) -> list[dict]:
    """The stdio entries (or, with `remote`, the HTTP ones) of every client snippet."""
    entries = []
    for block in JSON_BLOCKS:
        document = json.loads(block)
        entries += list((document.get("mcpServers") or document.get("servers") or {}).values())
    return [entry for entry in entries if ("url" in entry) is remote]


def test_no_snippet_runs_the_unpublished_pypi_name():
    # Until the name is ours, `uvx hostup-mcp` would run whatever someone else published under it.
    code = "\n".join(re.findall(r"```\w*\n(.*?)```", README, re.DOTALL))
    assert "uvx hostup-mcp" not in code
    assert '"args": ["hostup-mcp"' not in code


def test_every_json_snippet_parses_and_there_is_one_per_client():
    assert len(JSON_BLOCKS) == 5  # stdio: Claude Desktop, Cursor, VS Code; HTTP: VS Code, Cursor
    assert len(server_entries()) == 6
    assert len(server_entries(remote=True)) == 2


@pytest.mark.parametrize("entry", server_entries(remote=True), ids=["vscode", "cursor"])
def test_every_remote_snippet_sends_the_key_as_a_bearer_header_to_mcp(entry: dict):
    assert entry["url"].endswith(MCP_PATH)
    assert entry["headers"]["Authorization"].startswith("Bearer ")
    assert entry.get("type", "http") == "http"


def test_vs_code_takes_the_remote_key_from_a_password_prompt_too():
    vscode = json.loads(JSON_BLOCKS[3])
    (prompt,) = vscode["inputs"]

    assert prompt["password"] is True
    assert vscode["servers"]["hostup-remote"]["headers"]["Authorization"] == f"Bearer ${{input:{prompt['id']}}}"


def test_the_claude_code_remote_command_uses_http_and_a_bearer_header():
    (line,) = [line for line in README.splitlines() if line.startswith("claude mcp add --transport http")]
    words = shlex.split(line)

    assert words[words.index("--transport") + 1] == "http"
    assert words[words.index("--header") + 1].startswith("Authorization: Bearer ")
    assert words[6].endswith(MCP_PATH)  # claude mcp add --transport http NAME URL


@pytest.mark.parametrize("entry", server_entries(), ids=lambda entry: " ".join(entry.get("args", [])))
def test_every_configured_command_line_is_accepted_by_the_cli(entry: dict):
    args = entry["args"]
    assert entry["command"] == "uvx"
    assert args[:3] == ["--from", "/path/to/hostup-mcp", "hostup-mcp"]  # a checkout: the PyPI name is not ours
    parsed = build_parser().parse_args(args[3:])

    assert parsed.command is None  # clients start the stdio server
    assert parsed.demo is ("--demo" in args)
    assert ("env" in entry) is not parsed.demo  # the real server gets a key; the demo needs none
    if "env" in entry:
        assert set(entry["env"]) == {"HOSTUP_API_KEY"}


def test_vs_code_takes_the_key_from_a_password_prompt():
    vscode = json.loads(JSON_BLOCKS[2])
    (prompt,) = vscode["inputs"]

    assert prompt["password"] is True
    assert vscode["servers"]["hostup"]["env"]["HOSTUP_API_KEY"] == f"${{input:{prompt['id']}}}"


def test_claude_code_commands_are_accepted_by_the_cli():
    lines = [line for line in README.splitlines() if line.startswith("claude mcp add") and "--transport" not in line]
    assert len(lines) == 2
    for line in lines:
        words = shlex.split(line)
        command = words[words.index("--") + 1 :]
        assert command[:4] == ["uvx", "--from", "/path/to/hostup-mcp", "hostup-mcp"]
        build_parser().parse_args(command[4:])


def test_the_first_command_runs_the_main_job_on_a_sandbox_id():
    first = re.search(r"python -m pip install \. && (hostup-mcp .*)", README)

    assert first is not None
    args = build_parser().parse_args(shlex.split(first.group(1))[1:])
    assert (args.command, args.vps_id, args.demo) == ("iso", EXAMPLE_VPS_ID, True)
    assert 'python -m pip install ".[test]" && python -m pytest' in README


@pytest.mark.anyio
async def test_the_tool_table_lists_exactly_the_served_tools_with_their_annotations():
    section = README[README.index("## Tools") : README.index("### Errors")]
    rows = re.findall(r"^\| `(\w+)` \| `(\w+) ([^`]+)` \| [^|]+ \| ([^|]+) \|$", section, re.MULTILINE)
    async with Client(build_server(Config(api_key=None, enable_writes=True))) as client:
        served = {tool.name: tool for tool in (await client.list_tools()).tools}

    assert [name for name, *_ in rows] == list(served)
    for name, _method, _path, hint_text in rows:
        hints = served[name].annotations
        assert hint_text.startswith("read-only") is hints.read_only_hint, name
        assert ("**destructive**" in hint_text) is hints.destructive_hint, name
        assert ("**not idempotent**" in hint_text) is (not hints.idempotent_hint), name


REPOSITORY = "https://github.com/hostup-mcp/hostup-mcp"
RAW = "https://raw.githubusercontent.com/hostup-mcp/hostup-mcp/main/"


def test_every_link_and_image_is_absolute_so_it_works_on_pypi_too():
    targets = re.findall(r"\]\(([^)\s]+)\)", README)

    assert targets
    assert [target for target in targets if not target.startswith(("https://", "http://"))] == []


def test_every_page_the_readme_links_to_exists():
    root = Path(__file__).resolve().parent.parent
    pages = set(re.findall(rf"\]\({re.escape(REPOSITORY)}/blob/main/([\w./-]+)(?:#[\w-]+)?\)", README))
    images = set(re.findall(rf"\]\({re.escape(RAW)}([\w./-]+)\)", README))

    assert {"docs/remote.md", "docs/errors.md", "docs/reliability.md"} <= pages
    assert images == {"docs/view.png"}
    assert [link for link in pages | images if not (root / link).exists()] == []
