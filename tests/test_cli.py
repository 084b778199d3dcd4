"""The commands people type: check, iso, --demo, usage errors.

They run `cli.main(argv)` in this process (starting the console script costs a second of imports each
time); one smoke test starts the installed script, and the stdio suites start it for the server.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from hostup_mcp import __version__, cli
from tests.fake_hostup import API_KEY, DOCUMENTED_200, EXAMPLE_VPS_ID, NO_SCOPE_KEY, FakeHostUp, problem, serve_http
from tests.scripted_server import closed_port
from tests.stdio_session import console_script, run_once


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    """`hostup-mcp *argv` with exactly `env` as its environment, in this process."""

    def run_main(env: dict[str, str], *argv: str) -> Ran:
        for noisy in ("httpx", "httpcore"):  # main() quiets them; give the next test its loggers back
            monkeypatch.setattr(logging.getLogger(noisy), "level", logging.getLogger(noisy).level)
        for name in [name for name in os.environ if name.startswith("HOSTUP_")]:
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        try:
            code = cli.main(list(argv))
        except SystemExit as exit_:  # argparse: --help, --version, usage errors
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run_main


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_http(FakeHostUp()) as url:
        yield url


@pytest.fixture
def check_lines(run: Callable[..., Ran]) -> Callable[[dict[str, str]], tuple[int, list[str]]]:
    def check(env: dict[str, str]) -> tuple[int, list[str]]:
        result = run(env, "check")
        assert result.stderr == ""
        return result.returncode, result.stdout.splitlines()

    return check


def test_check_passes_with_a_good_key(base_url: str, check_lines):
    code, lines = check_lines({"HOSTUP_API_KEY": API_KEY, "HOSTUP_BASE_URL": base_url})

    assert code == 0
    assert [line[:6] for line in lines[:-1]] == ["[  ok]"] * 5
    assert "GET /api/v2/vps?limit=1 answered 200 in" in lines[2]
    assert lines[-1] == "All checks passed."
    assert API_KEY not in "\n".join(lines)


def test_check_reports_a_rejected_key(base_url: str, check_lines):
    code, lines = check_lines({"HOSTUP_API_KEY": "hu_wrong_key", "HOSTUP_BASE_URL": base_url})

    assert code == 1
    assert lines[2].startswith("[  ok] HostUp reachable answered 401")
    assert lines[3].startswith("[FAIL] key accepted     401 unauthorized")
    assert "invalid, expired or revoked" in lines[3]
    assert lines[4].startswith("[skip] read:vm scope")


def test_check_reports_a_key_without_read_vm(base_url: str, check_lines):
    code, lines = check_lines({"HOSTUP_API_KEY": NO_SCOPE_KEY, "HOSTUP_BASE_URL": base_url})

    assert code == 1
    assert lines[3].startswith("[  ok] key accepted")
    assert lines[4].startswith("[FAIL] read:vm scope    403 forbidden")
    assert "add read:vm to the key" in lines[4]


def test_check_reports_an_unreachable_base_url(check_lines):
    code, lines = check_lines({"HOSTUP_API_KEY": API_KEY, "HOSTUP_BASE_URL": f"http://127.0.0.1:{closed_port()}"})

    assert code == 1
    assert lines[2].startswith("[FAIL] HostUp reachable connection_failed: the connection was refused connecting to")
    assert lines[3].startswith("[skip] key accepted")


def test_check_calls_hostup_once_even_when_a_retry_might_help(run: Callable[..., Ran]):
    class Unavailable(FakeHostUp):
        async def handle(self, request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return httpx.Response(503, json=problem(503, "service_unavailable", "Unavailable", "x", request.url.path))

    fake = Unavailable()
    with serve_http(fake) as url:
        result = run({"HOSTUP_API_KEY": API_KEY, "HOSTUP_BASE_URL": url}, "check")

    assert result.returncode == 1
    assert [(request.method, request.url.path) for request in fake.requests] == [("GET", "/api/v2/vps")]


def test_check_without_a_key_says_where_to_get_one(check_lines):
    code, lines = check_lines({})

    assert code == 1
    assert lines[1].startswith("[FAIL] API key          HOSTUP_API_KEY is not set")
    assert "cloud.hostup.se/api-management" in lines[1]


def test_check_on_the_sandbox_needs_no_key(check_lines):
    code, lines = check_lines({"HOSTUP_DEMO": "1"})

    assert code == 0
    assert "sandbox" in lines[0]


def test_iso_prints_the_text_the_model_reads(base_url: str, run):
    result = run({"HOSTUP_API_KEY": API_KEY, "HOSTUP_BASE_URL": base_url}, "iso", EXAMPLE_VPS_ID)

    assert result.returncode == 0
    assert result.stdout.splitlines()[1] == (
        'iso_01hxa3b4c5d6e7f8g9h0j1k2m3 "Ubuntu 24.04 LTS" ubuntu-24.04-live-server-amd64.iso 5.9 iso'
    )


def test_iso_json_prints_the_structured_content(base_url: str, run):
    result = run({"HOSTUP_API_KEY": API_KEY, "HOSTUP_BASE_URL": base_url}, "iso", EXAMPLE_VPS_ID, "--json")

    assert result.returncode == 0
    printed = json.loads(result.stdout)
    assert printed.pop("guidance")["summary"].startswith("1 ISO available, 1 mounted (ide2).")
    assert printed == DOCUMENTED_200


def test_iso_exits_1_with_the_explanation_on_an_error(base_url: str, run):
    result = run({"HOSTUP_API_KEY": API_KEY, "HOSTUP_BASE_URL": base_url}, "iso", "vps_nosuchvps")

    assert result.returncode == 1
    assert "HostUp error 404 not_found" in result.stdout
    assert "Next step:" in result.stdout


def test_iso_json_prints_the_problem_document_on_an_error_and_the_explanation_on_stderr(run):
    result = run({}, "iso", "vps_demoforbidden", "--json", "--demo")

    assert result.returncode == 1
    problem = json.loads(result.stdout)
    assert (problem["status"], problem["code"]) == (403, "forbidden")
    assert "Next step:" in result.stderr


def test_a_reader_that_goes_away_gets_no_traceback():
    """`hostup-mcp check | head -1`: the pipe closes before everything is written."""
    reader, writer = os.pipe()
    process = subprocess.Popen(
        [console_script(), "check", "--demo"], stdout=writer, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    os.close(writer)
    os.close(reader)  # before the command has written its first line
    _, stderr = process.communicate(timeout=30)

    assert process.returncode == 141
    assert b"Traceback" not in stderr and b"BrokenPipeError" not in stderr


@pytest.mark.parametrize("argv", [["--demo", "iso", EXAMPLE_VPS_ID], ["iso", EXAMPLE_VPS_ID, "--demo"]])
def test_demo_flag_works_before_or_after_the_command(run, argv: list[str]):
    result = run({}, *argv)

    assert result.returncode == 0
    assert result.stdout.startswith("DEMO DATA from the hostup-mcp sandbox")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["iso"], "the following arguments are required: VPS_ID"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["--nope"], "unrecognized arguments: --nope"),
    ],
)
def test_usage_errors_exit_2_with_usage_on_stderr(run, argv: list[str], message: str):
    result = run({}, *argv)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("usage: hostup-mcp")
    assert message in result.stderr


def test_help_lists_the_commands_and_demo_ids(run):
    result = run({}, "--help")

    assert result.returncode == 0
    for word in ("check", "iso", "--demo", "vps_demoforbidden", "HOSTUP_API_KEY"):
        assert word in result.stdout


def test_the_installed_script_runs_a_command():
    result = run_once({"HOSTUP_DEMO": "1"}, "iso", EXAMPLE_VPS_ID, "--json")  # a real process, once

    assert result.returncode == 0
    printed = json.loads(result.stdout)
    assert printed.pop("guidance")["summary"].startswith("DEMO DATA")
    assert printed == {**DOCUMENTED_200, "demo": True}


def test_version(run):
    assert run({}, "--version").stdout == f"hostup-mcp {__version__}\n"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--port", "99999"], "--port must be a port number (0-65535), got '99999'"),
        (["--port", "-1"], "--port must be a port number (0-65535), got '-1'"),
        (["--port", "http"], "--port must be a port number (0-65535), got 'http'"),
        (["--host", "192.0.2.1", "--port", "0"], "cannot listen on 192.0.2.1 port 0: "),  # not this machine's
    ],
)
def test_an_address_that_cannot_be_listened_on_is_one_line_and_exit_2(run, argv: list[str], says: str):
    result = run({}, "--transport", "http", "--demo", *argv)

    assert result.returncode == 2
    assert result.stderr.startswith(f"hostup-mcp: configuration error: {says}")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_port_in_use_is_one_line_and_exit_2(run):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run({}, "--transport", "http", "--demo", "--port", str(port))

    assert result.returncode == 2
    assert (
        result.stderr
        == f"hostup-mcp: configuration error: cannot listen on 127.0.0.1 port {port}: Address already in use\n"
    )
