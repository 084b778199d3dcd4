"""Commands for people at a terminal (`check`, `iso`); unlike the stdio server, they own stdout."""

from __future__ import annotations

import json
import time
from typing import TextIO

from hostup_mcp.config import Config
from hostup_mcp.hostup.client import HostUpClient
from hostup_mcp.hostup.failures import Failure, HostUpError
from hostup_mcp.hostup.problems import API_KEYS_PAGE
from hostup_mcp.hostup.retry import RetryPolicy
from hostup_mcp.tools.results import PROBLEM_META_KEY
from hostup_mcp.tools.text import clean


async def show_iso_media(config: Config, vps_id: str, as_json: bool, out: TextIO, err: TextIO) -> int:
    """One list_vps_iso_media call through the real server, printed as the model would read it. With
    `as_json`, stdout gets JSON either way: the structured content, or on an error the problem document
    (and stderr the explanation)."""
    # Imported here so that `check` does not pay the MCP SDK's second of import time.
    from mcp import Client

    from hostup_mcp.server import build_server

    async with Client(build_server(config)) as client:
        result = await client.call_tool("list_vps_iso_media", {"vps_id": vps_id})
    text = result.content[0].text  # type: ignore[union-attr]  # the tool returns one text block
    if not as_json:
        print(text, file=out)
    elif result.is_error:
        problem = (result.meta or {}).get(PROBLEM_META_KEY)
        print(json.dumps(problem, indent=2, ensure_ascii=False), file=out)
        print(text, file=err)
    else:
        print(json.dumps(result.structured_content, indent=2, ensure_ascii=False), file=out)
    return 1 if result.is_error else 0


class Report:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.failed = False

    def line(self, verdict: str, label: str, detail: str) -> None:
        self.failed |= verdict == "FAIL"
        print(f"[{verdict:>4}] {label:<16} {detail}", file=self.out)


async def check(config: Config, out: TextIO) -> int:
    """Configuration, key, reachability and the read:vm scope, from one GET /api/v2/vps?limit=1."""
    report = Report(out)
    where = "the built-in sandbox (--demo)" if config.demo else config.base_url
    report.line("ok", "configuration", f"base URL {where}, timeout {config.timeout_seconds:g} s")
    if config.api_key is None:
        report.line("FAIL", "API key", f"HOSTUP_API_KEY is not set; create a key with read:vm at {API_KEYS_PAGE}")
        for label in ("HostUp reachable", "key accepted", "read:vm scope"):
            report.line("skip", label, "needs an API key")
        return 1
    report.line("ok", "API key", "not needed in the sandbox" if config.demo else "set (HOSTUP_API_KEY)")
    # One GET, never retried: `check` reports what HostUp answered to exactly one request.
    async with HostUpClient.connect(config, retry=RetryPolicy(max_attempts=1)) as client:
        started = time.monotonic()
        try:
            page = await client.list_vps(limit=1)
        except HostUpError as exc:
            elapsed_ms = (time.monotonic() - started) * 1000
            report_failure(report, exc.failure, elapsed_ms)
        else:
            elapsed_ms = (time.monotonic() - started) * 1000
            report.line("ok", "HostUp reachable", f"GET /api/v2/vps?limit=1 answered 200 in {elapsed_ms:.0f} ms")
            report.line(
                "ok", "key accepted", "the sandbox takes any key" if config.demo else "HostUp authenticated the key"
            )
            count = "no VPS" if not page.data else f"first VPS {clean(page.data[0].id)}"
            report.line("ok", "read:vm scope", f"the VPS list is readable ({count})")
    print("All checks passed." if not report.failed else "Some checks failed; see above.", file=out)
    return 1 if report.failed else 0


def report_failure(report: Report, failure: Failure, elapsed_ms: float) -> None:
    problem, status = failure.problem, failure.status
    said = f"{status or ''} {clean(problem.code)}: {clean(problem.detail, 300)}".strip()
    if status is None:  # no HTTP answer at all
        report.line("FAIL", "HostUp reachable", said)
        report.line("skip", "key accepted", "HostUp did not answer")
        report.line("skip", "read:vm scope", "HostUp did not answer")
        return
    report.line("ok", "HostUp reachable", f"answered {status} in {elapsed_ms:.0f} ms")
    if status == 401:
        report.line(
            "FAIL",
            "key accepted",
            f"{said} — the key is invalid, expired or revoked; make a new one at {API_KEYS_PAGE}",
        )
        report.line("skip", "read:vm scope", "the key was not accepted")
    elif status == 403:
        report.line("ok", "key accepted", "authenticated, but refused this call")
        report.line("FAIL", "read:vm scope", f"{said} — add read:vm to the key at {API_KEYS_PAGE}")
    else:
        wait = f"; retry in {problem.retry_after_seconds} s" if problem.retry_after_seconds is not None else ""
        report.line("FAIL", "key accepted", f"could not tell: {said}{wait}")
        report.line("skip", "read:vm scope", "could not tell")
