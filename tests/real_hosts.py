"""Running the real hosts people use (Claude Code, Gemini CLI, Codex CLI) headless against hostup-mcp.

Each host is pinned in tests/clients/package.json, runs with a temporary HOME, telemetry and update
checks off, and talks to nothing but 127.0.0.1: its model is the scripted stand-in (model_stand_in.py),
its MCP server the installed hostup-mcp over stdio, over Streamable HTTP, or through mcp-remote.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.model_stand_in import Conversation, ToolCall, model_stand_in
from tests.other_clients import node_bin
from tests.stdio_session import console_script

HOST_TIMEOUT_SECONDS = 180
PROMPT = "Look at the ISO media of my HostUp VPS."
SERVER_NAME = "hostup"


@dataclass(frozen=True)
class Stdio:
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)

    @property
    def command(self) -> str:
        return console_script()


@dataclass(frozen=True)
class Remote:
    url: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ThroughMcpRemote:
    """A remote server reached the way Claude Desktop reaches one: mcp-remote as a stdio server."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)

    def as_stdio(self) -> tuple[str, list[str]]:
        args = [self.url, "--transport", "http-only", "--allow-http"]
        for name, value in self.headers.items():
            args += ["--header", f"{name}:{value}"]
        return node_bin("mcp-remote"), args


Server = Stdio | Remote | ThroughMcpRemote


@dataclass
class HostRun:
    conversation: Conversation
    returncode: int
    output: str

    def offered_names(self) -> list[str]:
        return [str(tool.get("name", "")) for tool in self.conversation.offered]


def base_env(home: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "HOME": home, "NO_COLOR": "1", "CI": "1", "NO_UPDATE_NOTIFIER": "1"}


def run(argv: list[str], env: dict[str, str], cwd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=HOST_TIMEOUT_SECONDS, stdin=subprocess.DEVNULL
    )


def stdio_entry(server: Stdio | ThroughMcpRemote) -> tuple[str, list[str], dict[str, str]]:
    if isinstance(server, Stdio):
        return server.command, list(server.args), dict(server.env)
    command, args = server.as_stdio()
    return command, args, {}


# --- Claude Code ---------------------------------------------------------------------------------


# Where Claude Code's API calls go when no model is needed (`claude mcp list`): a closed port on loopback,
# so that nothing is looked up or sent outside this machine.
NO_MODEL_URL = "http://127.0.0.1:9"


def claude_env(home: str, model_url: str | None = None) -> dict[str, str]:
    env = base_env(home) | {
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_TELEMETRY": "1",
        "ANTHROPIC_API_KEY": "stand-in-key",
    }
    return env | {"ANTHROPIC_BASE_URL": model_url or NO_MODEL_URL}


def claude_server_config(server: Server) -> dict[str, object]:
    if isinstance(server, Remote):
        return {"type": "http", "url": server.url, "headers": server.headers}
    command, args, env = stdio_entry(server)
    return {"command": command, "args": args, "env": env}


def run_claude(script: list[ToolCall], server: Server) -> HostRun:
    with model_stand_in(script) as (url, conversation), tempfile.TemporaryDirectory() as home:
        config = Path(home) / "mcp.json"
        config.write_text(json.dumps({"mcpServers": {SERVER_NAME: claude_server_config(server)}}))
        argv = [node_bin("claude"), "-p", PROMPT, "--mcp-config", str(config), "--strict-mcp-config"]
        argv += ["--output-format", "json", "--allowedTools", f"mcp__{SERVER_NAME}", "ToolSearch", "--max-turns", "30"]
        done = run(argv, claude_env(home, url), home)
        return HostRun(conversation, done.returncode, done.stdout + done.stderr)


def claude(home: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`claude ARGS` with nothing but a temporary HOME: `claude mcp add`, `claude mcp list`."""
    return run([node_bin("claude"), *args], claude_env(home), home)


# --- Gemini CLI ----------------------------------------------------------------------------------

GEMINI_MODEL = "gemini-2.5-flash"  # named, so the host's model router (another model call) is skipped


def gemini_server_config(server: Server) -> dict[str, object]:
    if isinstance(server, Remote):
        return {"httpUrl": server.url, "headers": server.headers, "trust": True}
    command, args, env = stdio_entry(server)
    return {"command": command, "args": args, "env": env, "trust": True}


def run_gemini(script: list[ToolCall], server: Server) -> HostRun:
    with model_stand_in(script) as (url, conversation), tempfile.TemporaryDirectory() as home:
        settings = {
            "mcpServers": {SERVER_NAME: gemini_server_config(server)},
            "privacy": {"usageStatisticsEnabled": False},
            "telemetry": {"enabled": False},
            "security": {"auth": {"selectedType": "gemini-api-key"}},
            "general": {"disableAutoUpdate": True, "disableUpdateNag": True},
        }
        (Path(home) / ".gemini").mkdir()
        (Path(home) / ".gemini" / "settings.json").write_text(json.dumps(settings))
        env = base_env(home) | {
            "GOOGLE_GEMINI_BASE_URL": url,
            "GEMINI_API_KEY": "stand-in-key",
            "GEMINI_CLI_TRUST_WORKSPACE": "true",
            "NO_BROWSER": "1",
        }
        argv = [node_bin("gemini"), "-p", PROMPT, "-m", GEMINI_MODEL, "--yolo", "-o", "json"]
        done = run(argv, env, home)
        return HostRun(conversation, done.returncode, done.stdout + done.stderr)


# --- Codex CLI -----------------------------------------------------------------------------------


def toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def codex_server_config(server: Server) -> str:
    if isinstance(server, Remote):
        lines = [f"url = {toml_string(server.url)}"]
        if server.headers:
            pairs = ", ".join(f"{toml_string(k)} = {toml_string(v)}" for k, v in server.headers.items())
            lines.append(f"http_headers = {{ {pairs} }}")
        return "\n".join(lines)
    command, args, env = stdio_entry(server)
    lines = [f"command = {toml_string(command)}", f"args = [{', '.join(toml_string(a) for a in args)}]"]
    if env:
        lines.append(f"env = {{ {', '.join(f'{toml_string(k)} = {toml_string(v)}' for k, v in env.items())} }}")
    return "\n".join(lines)


def run_codex(
    script: list[ToolCall],
    server: Server | None,
    *,
    added_by: Callable[[str, dict[str, str]], None] | None = None,
    extra_env: dict[str, str] | None = None,
) -> HostRun:
    """Codex with `server` as its MCP server, or with the servers that `added_by(home, env)` adds
    (the README's `codex mcp add` lines) to the config written first."""
    with model_stand_in(script) as (url, conversation), tempfile.TemporaryDirectory() as home:
        codex_home = Path(home) / "codex"
        codex_home.mkdir()
        lines = [
            'model = "gpt-5"',
            'model_provider = "standin"',
            'approval_policy = "never"',
            f"chatgpt_base_url = {toml_string(NO_MODEL_URL + '/')}",
            "[model_providers.standin]",
            'name = "stand-in"',
            f"base_url = {toml_string(url + '/v1')}",
            'wire_api = "responses"',
            'env_key = "STANDIN_API_KEY"',
            "[features]",
            "plugins = false",
            "apps = false",
            "[analytics]",
            "enabled = false",
        ]
        if server is not None:
            lines += [
                f"[mcp_servers.{SERVER_NAME}]",
                codex_server_config(server),
                "required = true",  # as the README says: Codex otherwise gives a server 1 s before its first turn
                # Headless, nobody can approve a write tool; a person at the terminal would.
                'default_tools_approval_mode = "approve"',
            ]
        (codex_home / "config.toml").write_text("\n".join([*lines, ""]))
        env = base_env(home) | {"CODEX_HOME": str(codex_home), "STANDIN_API_KEY": "stand-in-key"} | (extra_env or {})
        if added_by is not None:
            added_by(home, env)
            mark_required(codex_home / "config.toml")
        done = run([node_bin("codex"), "exec", "--skip-git-repo-check", PROMPT], env, home)
        return HostRun(conversation, done.returncode, done.stdout + done.stderr)


def mark_required(config: Path) -> None:
    """The README's edit after `codex mcp add`: `required = true` in each server's table."""
    text = re.sub(r"^(\[mcp_servers\.[^.\]]+\])$", r"\1\nrequired = true", config.read_text(), flags=re.MULTILINE)
    config.write_text(text)


HOSTS = {"Claude Code": run_claude, "Gemini CLI": run_gemini, "Codex CLI": run_codex}
