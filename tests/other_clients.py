"""The one place that knows how to start each MCP client this project did not write.

The Node clients (the official TypeScript SDK client, MCP Inspector's CLI) are pinned in
tests/clients/package.json; `.ci/run` installs them with `npm ci --prefix tests/clients`. Without them
the tests that need them skip, unless HOSTUP_REQUIRE_CLIENTS is set (CI sets it), when they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CLIENTS_DIR = Path(__file__).resolve().parent / "clients"
NODE_MODULES = CLIENTS_DIR / "node_modules"
TIMEOUT_SECONDS = 120


def require(what: str, present: bool, how: str = "run `npm ci --prefix tests/clients`") -> None:
    if present:
        return
    message = f"{what} is not available; {how}"
    if os.environ.get("HOSTUP_REQUIRE_CLIENTS"):
        pytest.fail(f"{message} (HOSTUP_REQUIRE_CLIENTS is set)")
    pytest.skip(message)


def node() -> str:
    found = shutil.which("node")
    require("node", found is not None)
    assert found is not None
    return found


def node_bin(name: str) -> str:
    path = NODE_MODULES / ".bin" / name
    require(name, path.exists())
    return str(path)


@dataclass(frozen=True)
class Call:
    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass
class TypeScriptRun:
    tools: list[dict[str, Any]]
    results: list[dict[str, Any]]  # {"tool", "ok", "result"} or {"tool", "ok": False, "error"}
    asked: list[dict[str, Any]]  # elicitation requests the client answered

    def result(self, index: int) -> dict[str, Any]:
        """The tool result of call `index`; fails if the client threw instead of returning it."""
        outcome = self.results[index]
        assert outcome["ok"], f"the TypeScript SDK client threw on {outcome['tool']}: {outcome['error']}"
        return outcome["result"]


def run_typescript_client(
    calls: list[Call],
    *,
    stdio: tuple[list[str], dict[str, str]] | None = None,
    http: tuple[str, dict[str, str]] | None = None,
    answers: list[dict[str, Any]] | None = None,
) -> TypeScriptRun:
    """Run tests/clients/ts_client.mjs against a server started over stdio (command, env) or at an
    HTTP URL (url, headers); `answers` makes the client declare elicitation and answer in turn."""
    require("@modelcontextprotocol/sdk", (NODE_MODULES / "@modelcontextprotocol" / "sdk").exists())
    scenario: dict[str, Any] = {"calls": [{"tool": call.tool, "arguments": call.arguments} for call in calls]}
    if stdio is not None:
        command, env = stdio
        scenario["stdio"] = {"command": command[0], "args": command[1:], "env": {"PATH": os.environ["PATH"], **env}}
    if http is not None:
        url, headers = http
        scenario["http"] = {"url": url, "headers": headers}
    if answers is not None:
        scenario["answers"] = answers
    output = run_node_script("ts_client.mjs", scenario)
    return TypeScriptRun(output["tools"], output["results"], output["asked"])


def run_ts_oauth(
    url: str, key: str, vps_id: str, redirect_url: str, client_metadata_url: str | None = None
) -> list[dict[str, Any]]:
    """Run tests/clients/ts_oauth_client.mjs: the TypeScript SDK's OAuth flow, the person's sign-in scripted;
    returns the steps it recorded."""
    require("@modelcontextprotocol/sdk", (NODE_MODULES / "@modelcontextprotocol" / "sdk").exists())
    scenario = {"url": url, "key": key, "vpsId": vps_id, "redirectUrl": redirect_url}
    if client_metadata_url is not None:
        scenario["clientMetadataUrl"] = client_metadata_url
    return list(run_node_script("ts_oauth_client.mjs", scenario)["steps"])


def run_node_script(script: str, scenario: dict[str, Any]) -> dict[str, Any]:
    """Run tests/clients/`script` with `scenario` as its JSON file; its one JSON document on stdout."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(scenario, file)
        file.flush()
        done = subprocess.run(
            [node(), str(CLIENTS_DIR / script), file.name],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    output: dict[str, Any] = json.loads(done.stdout)
    assert "fatal" not in output, output["fatal"]
    return output


def run_inspector(
    target: list[str], *options: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """MCP Inspector's CLI against a stdio command or a URL (`target`)."""
    environment = [part for name, value in (env or {}).items() for part in ("-e", f"{name}={value}")]
    with tempfile.TemporaryDirectory() as home:  # the Inspector keeps a catalog file; not in the user's HOME
        return subprocess.run(
            # The target first: --tool-arg takes every word after it.
            [node_bin("mcp-inspector"), "--cli", *environment, *target, *options],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
            env={**os.environ, "HOME": home, "MCP_CATALOG_PATH": str(Path(home) / "mcp.json")},
        )
