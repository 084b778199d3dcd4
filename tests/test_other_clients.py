"""Clients this project did not write, against the installed console script over stdio and a fake HostUp
served over real HTTP: the official TypeScript SDK client, MCP Inspector's CLI, the Python SDK client in
both protocol eras, and fastmcp's Client. Every client gets the same scenarios; none may throw on any
result, and each must see our text, our problem code and our next step."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from hostup_mcp.hostup.sandbox import EXAMPLE_ISO_ID, EXAMPLE_VPS_ID
from hostup_mcp.tools.results import PROBLEM_META_KEY
from tests.fake_hostup import FakeHostUp, serve_http
from tests.other_clients import Call, run_inspector, run_typescript_client
from tests.scripted_server import closed_port
from tests.stdio_session import console_script, server_env


@dataclass(frozen=True)
class Expect:
    call: Call
    code: str | None  # the problem code in _meta; None for a successful result
    says: str  # what the text must contain


def check(expect: Expect, result: dict[str, Any]) -> None:
    """`result` in wire form, from any client."""
    text = "\n".join(block["text"] for block in result["content"] if block["type"] == "text")
    assert expect.says in text, (expect.call, text)
    if expect.code is None:
        assert not result.get("isError"), (expect.call, text)
        assert result.get("structuredContent") is not None
    else:
        assert result.get("isError") is True, (expect.call, text)
        assert "structuredContent" not in result
        assert result["_meta"][PROBLEM_META_KEY]["code"] == expect.code
        assert "Next step:" in text


def iso(vps_id: str) -> Call:
    return Call("list_vps_iso_media", {"vps_id": vps_id})


# Every documented HostUp error, our own argument errors, and the happy paths of the read tools.
READS = [
    Expect(Call("list_vps"), None, EXAMPLE_VPS_ID),
    Expect(iso(EXAMPLE_VPS_ID), None, "ubuntu-24.04-live-server-amd64.iso"),
    Expect(iso("vps_demoblocked"), None, "canMount: BLOCKED (The VPS has a pending order., code pending_order)"),
    Expect(iso("vps_invalid"), "invalid_request", "- /id: `id` is malformed."),
    Expect(iso("vps_demoforbidden"), "forbidden", "lacks the read:vm scope"),
    Expect(iso("vps_demomissing"), "not_found", "call list_vps to get valid VPS ids"),
    Expect(iso("vps_demoratelimited"), "rate_limit_exceeded", "wait 30 s"),
    Expect(iso("vps_demobroken"), "internal_error", "quoting requestId req_01hxa3b4c5d6e7f8g9h0j1k2m3"),
    Expect(iso("1.2.3.4"), "invalid_vps_id", "call list_vps with primary_ip=1.2.3.4"),
    Expect(Call("list_vps_iso_media"), "invalid_arguments", "- /vps_id: is required"),
    Expect(Call("list_vps", {"limit": 500}), "invalid_arguments", "- /limit: must be at most 100, got 500"),
    Expect(Call("get_job", {"job_id": "job_unknown"}), "NOT_FOUND", "Job not found"),
]
NO_KEY = [
    Expect(iso(EXAMPLE_VPS_ID), "missing_api_key", "set it as HOSTUP_API_KEY"),
    Expect(Call("list_vps"), "missing_api_key", "HOSTUP_API_KEY is not set, so no request was sent"),
]
WRONG_KEY = [Expect(iso(EXAMPLE_VPS_ID), "unauthorized", "the API key is missing, invalid, expired or revoked")]
UNREACHABLE = [Expect(iso(EXAMPLE_VPS_ID), "connection_failed", "check the network and HOSTUP_BASE_URL")]

FIRST_JOB = "job_sandbox00000000000000001"  # the sandbox numbers jobs; its first download is this one
FIRST_DOWNLOAD = "iso_sandbox00000000000000001"
WRITES = [
    Expect(Call("list_vps", {"cursor": "c2"}), None, "vps_demoempty"),
    Expect(iso(EXAMPLE_VPS_ID), None, f"mounted: ide2={EXAMPLE_ISO_ID}"),
    Expect(Call("unmount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "device": "ide2"}), None, "Unmounted ide2"),
    Expect(Call("mount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "iso_id": EXAMPLE_ISO_ID}), None, "Mounted"),
    Expect(Call("mount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "iso_id": EXAMPLE_ISO_ID}), None, "already mounted"),
    Expect(
        Call("download_vps_iso", {"vps_id": "vps_demoempty", "url": "https://example.com/d.iso", "filename": "d.iso"}),
        None,
        f"get_job(job_id={FIRST_JOB})",
    ),
    Expect(Call("get_job", {"job_id": FIRST_JOB}), None, "running 50%"),
    Expect(Call("get_job", {"job_id": f"/api/jobs/{FIRST_JOB}"}), None, "completed 100%"),
    Expect(Call("delete_vps_iso", {"vps_id": "vps_demoempty", "volid": FIRST_DOWNLOAD}), None, "PREVIEW"),
    Expect(
        Call("delete_vps_iso", {"vps_id": "vps_demoempty", "volid": FIRST_DOWNLOAD, "confirm": True}), None, "Deleted"
    ),
    # and their errors
    Expect(
        Call("mount_vps_iso", {"vps_id": "vps_demoblocked", "iso_id": "iso_01hxb7debian12netinst000"}),
        "action_blocked",
        "The VPS has a pending order.",
    ),
    Expect(Call("unmount_vps_iso", {"vps_id": "vps_demoempty", "device": "ide3"}), "invalid_request", "No ISO"),
    Expect(
        Call("download_vps_iso", {"vps_id": "vps_demoempty", "url": "http://169.254.169.254/", "filename": "x.iso"}),
        "invalid_url",
        "not a public internet address",
    ),
    Expect(Call("delete_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "volid": "iso_gone"}), "iso_not_found", "iso_gone"),
    Expect(
        Call("delete_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "volid": EXAMPLE_ISO_ID, "confirm": "yes"}),
        "invalid_arguments",
        "must be the JSON boolean true or false",
    ),
]
DELETE_THE_EXAMPLE = Call("delete_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "volid": EXAMPLE_ISO_ID, "confirm": True})
# Asked three times about the same ISO: only the third answer deletes it, whatever confirm says.
ANSWERS = [
    (
        {"action": "decline"},
        "The confirmation was declined (by the user, or by a client that answers forms on its own): nothing was deleted.",
    ),
    ({"action": "cancel"}, "the confirmation form was dismissed without an answer"),
    ({"action": "accept", "content": {"confirm": True}}, "Deleted"),
]


@pytest.fixture
def hostup() -> Iterator[str]:
    with serve_http(FakeHostUp()) as url:
        yield url


def environments(base_url: str) -> dict[str, tuple[dict[str, str], list[Expect]]]:
    """Server environments, each with the scenarios it must pass."""
    env = server_env(base_url)
    no_key = {name: value for name, value in env.items() if name != "HOSTUP_API_KEY"}
    unreachable = {**env, "HOSTUP_BASE_URL": f"http://127.0.0.1:{closed_port()}"}
    return {
        "reads": (env, READS),
        "no key": (no_key, NO_KEY),
        "wrong key": ({**env, "HOSTUP_API_KEY": "hu_wrong_key"}, WRONG_KEY),
        "unreachable": (unreachable, UNREACHABLE),
        "writes": ({**env, "HOSTUP_ENABLE_WRITES": "1"}, WRITES),
    }


ENVIRONMENTS = ["reads", "no key", "wrong key", "unreachable", "writes"]


# --- the official TypeScript SDK client ---------------------------------------------------------


@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_typescript_sdk_client_reads_every_result(hostup: str, name: str):
    env, expected = environments(hostup)[name]
    run = run_typescript_client([e.call for e in expected], stdio=([console_script()], env))

    for index, expect in enumerate(expected):
        check(expect, run.result(index))
    writes = ["mount_vps_iso", "unmount_vps_iso", "download_vps_iso", "delete_vps_iso"]
    reads = ["list_vps", "list_vps_iso_media", "get_job"]
    assert [tool["name"] for tool in run.tools] == reads + (writes if name == "writes" else [])


def test_typescript_sdk_client_answers_the_delete_confirmation(hostup: str):
    env = {**server_env(hostup), "HOSTUP_ENABLE_WRITES": "1"}
    answers = [answer for answer, _ in ANSWERS]
    run = run_typescript_client([DELETE_THE_EXAMPLE] * 3, stdio=([console_script()], env), answers=answers)

    assert len(run.asked) == 3  # confirm=true from the model did not skip the person
    assert "Ubuntu 24.04 LTS" in run.asked[0]["message"]
    for index, (_, says) in enumerate(ANSWERS):
        check(Expect(DELETE_THE_EXAMPLE, None, says), run.result(index))
    assert [run.result(index)["structuredContent"]["deleted"] for index in range(3)] == [False, False, True]


# --- MCP Inspector CLI ------------------------------------------------------------------------


def test_inspector_strict_finds_no_portability_problem(hostup: str):
    env = {**server_env(hostup), "HOSTUP_ENABLE_WRITES": "1"}
    listed = run_inspector([console_script()], "--method", "tools/list", "--strict", env=env)

    assert listed.returncode == 0, listed.stderr
    assert "Warning" not in listed.stderr and "Issue:" not in listed.stderr, listed.stderr
    assert len(json.loads(listed.stdout)["tools"]) == 7


def test_inspector_shows_an_error_result_as_a_tool_error_with_our_text(hostup: str):
    called = run_inspector(
        [console_script()],
        *("--method", "tools/call", "--tool-name", "list_vps_iso_media", "--tool-arg", "vps_id=vps_demomissing"),
        env=server_env(hostup),
    )

    assert called.returncode == 5, called.stderr  # the Inspector's exit code for an isError result
    assert "tool_is_error" in called.stderr
    assert "Structured content does not match" not in called.stdout + called.stderr
    check(Expect(iso("vps_demomissing"), "not_found", "call list_vps"), json.loads(called.stdout))


# Our own kind of error and a missing key (HostUp's kind is above; the Inspector starts a server per call).
INSPECTED = [READS[8], NO_KEY[0]]


@pytest.mark.parametrize("expect", INSPECTED, ids=lambda expect: expect.code or "data")
def test_inspector_reads_each_kind_of_result(hostup: str, expect: Expect):
    env = server_env(hostup) if expect.code != "missing_api_key" else {"HOSTUP_BASE_URL": hostup}
    arguments = [part for key, value in expect.call.arguments.items() for part in ("--tool-arg", f"{key}={value}")]
    called = run_inspector(
        [console_script()], "--method", "tools/call", "--tool-name", expect.call.tool, *arguments, env=env
    )

    assert called.returncode == (5 if expect.code else 0), called.stderr
    check(expect, json.loads(called.stdout))


# --- the Python SDK client, both protocol eras, over real stdio ----------------------------------


# Every environment in the handshake era most hosts speak; the 2026-07-28 era where behaviour could differ
# (the in-memory suites run every tool in both eras).
PYTHON_RUNS = [(name, "legacy") for name in ENVIRONMENTS] + [("writes", "auto")]


@pytest.mark.anyio
@pytest.mark.parametrize(("name", "mode"), PYTHON_RUNS)
async def test_python_sdk_client_reads_every_result(hostup: str, mode: str, name: str):
    env, expected = environments(hostup)[name]
    async with Client(StdioServerParameters(command=console_script(), env=env), mode=mode) as client:
        for expect in expected:
            result = await client.call_tool(expect.call.tool, expect.call.arguments)
            check(expect, result.model_dump(by_alias=True, mode="json", exclude_none=True))


# --- fastmcp's Client, reading typed results -----------------------------------------------------


@pytest.mark.anyio
async def test_fastmcp_client_reads_typed_results_and_errors(hostup: str, tmp_path: Path):
    fastmcp = pytest.importorskip("fastmcp")
    from fastmcp.client.transports import StdioTransport

    env = {**server_env(hostup), "HOSTUP_ENABLE_WRITES": "1"}
    transport = StdioTransport(console_script(), [], env=env, log_file=tmp_path / "server.log")
    async with fastmcp.Client(transport) as client:
        preview = await client.call_tool("delete_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "volid": EXAMPLE_ISO_ID})
        media = await client.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})
        missing = await client.call_tool("list_vps_iso_media", {"vps_id": "vps_demomissing"}, raise_on_error=False)

    assert preview.data.mountedIn == ["ide2"]  # typed from the outputSchema: the field keeps its name
    assert preview.data.deleted is False
    assert media.data.available[0].displayName == "Ubuntu 24.04 LTS"
    assert media.data.bootOrder is not None
    assert missing.is_error is True
    assert missing.meta[PROBLEM_META_KEY]["code"] == "not_found"
    assert "call list_vps" in missing.content[0].text
