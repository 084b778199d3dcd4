"""Benchmarks: hostup-mcp against the SDK floor and a generic OpenAPI bridge, interleaved in one run.

Servers (each started over real stdio, as an MCP client starts it):
  1. SDK floor: a bare MCPServer with one trivial tool (benchmarks/floor_server.py), no HTTP;
  2. hostup-mcp, as installed;
  3. generic bridge: fastmcp's FastMCP.from_openapi over GET /api/v2/vps/{id}/iso (benchmarks/bridge_server.py).
All talk to one fake HostUp on 127.0.0.1 (tests/fake_hostup.py) serving the documented responses.

Usage: python benchmarks/run.py [--quick] [--output benchmarks/results.md]
Needs the bench extra: pip install ".[bench]".
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import anyio
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_hostup import API_KEY, DOCUMENTED_200, EXAMPLE_VPS_ID, FakeHostUp, serve_http  # noqa: E402

BIG_VPS_ID = "vps_bench300"
# label: (VPS id, HTTP status, the problem code the result should carry)
ERROR_CASES = {
    "403": ("vps_demoforbidden", 403, "forbidden"),
    "404": ("vps_demomissing", 404, "not_found"),
    "429 + Retry-After": ("vps_demoratelimited", 429, "rate_limit_exceeded"),
    "HTML 502": ("vps_proxyhtml", 502, "invalid_error_body"),
}


def many_isos(count: int) -> dict[str, Any]:
    body = copy.deepcopy(DOCUMENTED_200)
    body["available"] = [
        {
            "id": f"iso_01hxbench{index:016d}",
            "name": f"distro-{index}-amd64.iso",
            "displayName": f"Distro {index} LTS",
            "sizeGb": round(0.5 + index % 50 / 10, 1),
            "format": "iso",
        }
        for index in range(count)
    ]
    return body


class BenchHostUp(FakeHostUp):
    async def scenario(self, vps_id: str, path: str, call: int) -> httpx.Response | None:
        if vps_id == BIG_VPS_ID:
            return httpx.Response(200, json=many_isos(300))
        return await super().scenario(vps_id, path, call)


@dataclass
class ServerKind:
    name: str
    command: list[str]
    tool: str | None  # the ISO tool; None for the floor
    id_argument: str = "vps_id"
    env: dict[str, str] = field(default_factory=dict)

    def iso_call(self, vps_id: str) -> tuple[str, dict[str, Any]]:
        if self.tool is None:
            return "echo", {"text": vps_id}
        return self.tool, {self.id_argument: vps_id}


class Session:
    """One server process spoken to in raw JSON-RPC over its stdio (the 2025-11-25 handshake)."""

    def __init__(self, kind: ServerKind) -> None:
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            kind.command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **kind.env},
        )
        self.next_id = 1

    def send(self, method: str, params: dict[str, Any] | None = None, notify: bool = False) -> int:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, **({"params": params} if params else {})}
        if not notify:
            message["id"] = self.next_id
            self.next_id += 1
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()
        return message.get("id", 0)

    def next_message(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        return json.loads(self.process.stdout.readline())

    def reply(self, request_id: int) -> dict[str, Any]:
        while (message := self.next_message()).get("id") != request_id:
            pass
        return message

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.reply(self.send(method, params))

    def handshake(self) -> None:
        params = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}
        self.request("initialize", params)
        self.send("notifications/initialized", notify=True)

    def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        return self.request("tools/call", {"name": name, "arguments": arguments})["result"]

    def rss_mib(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]) / 1024

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=20)


def cold_start(kind: ServerKind) -> tuple[float, float, float]:
    """ms from spawn to tools/list answered and to the first tools/call answered, and idle RSS (MiB)."""
    session = Session(kind)
    session.handshake()
    session.request("tools/list")
    listed = time.perf_counter() - session.started
    session.call(*kind.iso_call(EXAMPLE_VPS_ID))
    called = time.perf_counter() - session.started
    time.sleep(1.0)
    rss = session.rss_mib()
    session.close()
    return listed * 1000, called * 1000, rss


def latencies(session: Session, kind: ServerKind, vps_id: str, count: int) -> list[float]:
    name, arguments = kind.iso_call(vps_id)
    session.call(name, arguments)  # warm
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        session.call(name, arguments)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def burst(session: Session, kind: ServerKind, count: int) -> float:
    """Seconds for `count` calls sent at once over one session, until the last reply."""
    name, arguments = kind.iso_call(EXAMPLE_VPS_ID)
    started = time.perf_counter()
    pending = {session.send("tools/call", {"name": name, "arguments": arguments}) for _ in range(count)}
    while pending:  # replies arrive in any order
        pending.discard(session.next_message().get("id"))
    return time.perf_counter() - started


async def raw_get_latencies(base_url: str, vps_id: str, count: int) -> list[float]:
    """The floor for the HTTP part: the same GET with a bare httpx.AsyncClient, body parsed as JSON."""
    headers = {"Authorization": f"Bearer {API_KEY}", "Accept": "application/json"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as client:
        await client.get(f"/api/v2/vps/{vps_id}/iso")
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            (await client.get(f"/api/v2/vps/{vps_id}/iso")).json()
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def leaves(document: Any) -> list[Any]:
    if isinstance(document, dict):
        return [leaf for value in document.values() for leaf in leaves(value)]
    if isinstance(document, list):
        return [leaf for value in document for leaf in leaves(value)]
    return [document]


def all_values_present(text: str, document: dict[str, Any]) -> bool:
    """Every string and number of the response appears in the text, numbers in any usual spelling (5.0 as 5).
    Booleans are rendered as words; test_every_value_of_the_response_shows_in_the_text covers them."""
    for value in leaves(document):
        if isinstance(value, bool) or value is None:
            continue
        spellings = {str(value), json.dumps(value)} | ({f"{value:g}"} if isinstance(value, float) else set())
        if not any(spelling in text for spelling in spellings):
            return False
    return True


def text_of(result: dict[str, Any]) -> str:
    return "\n".join(block.get("text", "") for block in result.get("content", []))


def error_quality(result: dict[str, Any], status: int, problem_code: str) -> dict[str, bool | None]:
    text = text_of(result)
    structured = result.get("structuredContent") or {}
    return {
        "status": str(status) in text or structured.get("status") == status,
        "code": problem_code in text or structured.get("code") == problem_code,
        # A proxy's HTML page carries no HostUp requestId, so there is none to pass on.
        "requestId": None if problem_code == "invalid_error_body" else "req_01hxa3b4c5d6e7f8g9h0j1k2m3" in text,
        "next step": "Next step:" in text or "retry" in text.lower() or "wait" in text.lower(),
    }


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def spread(samples: list[float]) -> str:
    return f"{statistics.median(samples):.0f} ({min(samples):.0f}–{max(samples):.0f})"


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"mcp {version('mcp')}, fastmcp {version('fastmcp')}, hostup-mcp {version('hostup-mcp')}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="few repetitions: checks the benchmark still works")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results.md")
    args = parser.parse_args()
    cold_runs, calls = (2, 10) if args.quick else (15, 200)

    fake = BenchHostUp()
    with serve_http(fake) as base_url:
        env = {"HOSTUP_BASE_URL": base_url, "HOSTUP_API_KEY": API_KEY}
        kinds = [
            ServerKind("SDK floor", [sys.executable, str(ROOT / "benchmarks" / "floor_server.py")], None),
            ServerKind("hostup-mcp", [shutil.which("hostup-mcp") or "hostup-mcp"], "list_vps_iso_media", env=env),
            ServerKind(
                "generic bridge",
                [sys.executable, str(ROOT / "benchmarks" / "bridge_server.py")],
                "list_vps_iso_media",
                "id",
                env=env,
            ),
        ]
        rows: dict[str, dict[str, Any]] = {kind.name: {} for kind in kinds}

        for kind in kinds:
            cold_start(kind)  # warm the page cache
        cold: dict[str, list[tuple[float, float, float]]] = {kind.name: [] for kind in kinds}
        for _ in range(cold_runs):
            for kind in kinds:  # interleaved, so drift on the machine hits all three alike
                cold[kind.name].append(cold_start(kind))

        raw_doc = anyio.run(raw_get_latencies, base_url, EXAMPLE_VPS_ID, calls)
        raw_big = anyio.run(raw_get_latencies, base_url, BIG_VPS_ID, calls)

        for kind in kinds:
            row = rows[kind.name]
            samples = cold[kind.name]
            row["tools/list"] = spread([s[0] for s in samples])
            row["first call"] = spread([s[1] for s in samples])
            row["rss"] = statistics.median(s[2] for s in samples)
            row["cold_median"] = statistics.median(s[0] for s in samples)
            session = Session(kind)
            session.handshake()
            tools = session.request("tools/list")["result"]["tools"]
            row["tools_bytes"] = len(json.dumps(tools, separators=(",", ":")))
            row["per_tool"] = {
                t["name"]: len(t.get("description", "")) + len(json.dumps(t["inputSchema"], separators=(",", ":")))
                for t in tools
            }
            doc = latencies(session, kind, EXAMPLE_VPS_ID, calls)
            row["doc"] = (statistics.median(doc), percentile(doc, 0.95))
            if kind.tool is not None:
                big = latencies(session, kind, BIG_VPS_ID, calls)
                row["big"] = (statistics.median(big), percentile(big, 0.95))
                for label, document, vps_id in (
                    ("doc", DOCUMENTED_200, EXAMPLE_VPS_ID),
                    ("big", many_isos(300), BIG_VPS_ID),
                ):
                    text = text_of(session.call(*kind.iso_call(vps_id)))
                    row[f"{label}_text"] = len(text.encode())
                    row[f"{label}_json"] = len(json.dumps(document, separators=(",", ":")).encode())
                    row[f"{label}_complete"] = all_values_present(text, document)
                row["errors"] = {}
                for label, (vps_id, status, code) in ERROR_CASES.items():
                    row["errors"][label] = error_quality(session.call(*kind.iso_call(vps_id)), status, code)
            row["burst"] = burst(session, kind, 100)
            session.close()

    report = render(rows, raw_doc, raw_big, cold_runs, calls)
    print(report)
    args.output.write_text(report + "\n")


def render(
    rows: dict[str, dict[str, Any]], raw_doc: list[float], raw_big: list[float], cold_runs: int, calls: int
) -> str:
    floor, ours, bridge = rows["SDK floor"], rows["hostup-mcp"], rows["generic bridge"]
    raw_doc_p50, raw_big_p50 = statistics.median(raw_doc), statistics.median(raw_big)
    lines = [
        f"Machine: {machine()}.",
        f"Cold start: {cold_runs} interleaved runs per server; latency: {calls} sequential calls per size; "
        "median (min–max) or p50/p95, in ms.",
        "",
        "| metric | SDK floor | hostup-mcp | generic bridge |",
        "|---|---|---|---|",
        f"| spawn → tools/list answered | {floor['tools/list']} | {ours['tools/list']} | {bridge['tools/list']} |",
        f"| spawn → first tools/call answered | {floor['first call']} | {ours['first call']} | {bridge['first call']} |",
        f"| idle RSS (MiB) | {floor['rss']:.1f} | {ours['rss']:.1f} | {bridge['rss']:.1f} |",
        f"| call p50/p95, documented example | {floor['doc'][0]:.2f}/{floor['doc'][1]:.2f} (echo) | "
        f"{ours['doc'][0]:.2f}/{ours['doc'][1]:.2f} | {bridge['doc'][0]:.2f}/{bridge['doc'][1]:.2f} |",
        f"| call p50/p95, 300 ISOs | — | {ours['big'][0]:.2f}/{ours['big'][1]:.2f} | "
        f"{bridge['big'][0]:.2f}/{bridge['big'][1]:.2f} |",
        f"| bare httpx GET p50/p95 (doc / 300) | {raw_doc_p50:.2f}/{percentile(raw_doc, 0.95):.2f} / "
        f"{raw_big_p50:.2f}/{percentile(raw_big, 0.95):.2f} | | |",
        f"| overhead over the bare GET, p50 (doc / 300) | — | {ours['doc'][0] - raw_doc_p50:.2f} / "
        f"{ours['big'][0] - raw_big_p50:.2f} | {bridge['doc'][0] - raw_doc_p50:.2f} / {bridge['big'][0] - raw_big_p50:.2f} |",
        f"| 100 concurrent calls, one session (s) | {floor['burst']:.3f} | {ours['burst']:.3f} | {bridge['burst']:.3f} |",
        f"| tools/list bytes (default surface) | {floor['tools_bytes']} | {ours['tools_bytes']} | {bridge['tools_bytes']} |",
        "| description + inputSchema bytes per tool | "
        + " | ".join(
            ", ".join(f"{name} {size}" for name, size in row["per_tool"].items()) for row in (floor, ours, bridge)
        )
        + " |",
        f"| text bytes / compact JSON bytes, documented example | — | {ours['doc_text']} / {ours['doc_json']} "
        f"({ours['doc_text'] / ours['doc_json']:.0%}) | {bridge['doc_text']} / {bridge['doc_json']} "
        f"({bridge['doc_text'] / bridge['doc_json']:.0%}) |",
        f"| text bytes / compact JSON bytes, 300 ISOs | — | {ours['big_text']} / {ours['big_json']} "
        f"({ours['big_text'] / ours['big_json']:.0%}) | {bridge['big_text']} / {bridge['big_json']} "
        f"({bridge['big_text'] / bridge['big_json']:.0%}) |",
        f"| every value in the text (doc / 300) | — | {yes(ours['doc_complete'])} / {yes(ours['big_complete'])} | "
        f"{yes(bridge['doc_complete'])} / {yes(bridge['big_complete'])} |",
        "",
        "Error quality on the same fake (status / code / requestId / next step):",
        "",
        "| error | hostup-mcp | generic bridge |",
        "|---|---|---|",
    ]
    for label in ERROR_CASES:
        lines.append(f"| {label} | {checks(ours['errors'][label])} | {checks(bridge['errors'][label])} |")
    lines += ["", "Targets:", "", "| target | result | met |", "|---|---|---|"]
    cold_ratio = ours["cold_median"] / floor["cold_median"]
    rss_ratio = ours["rss"] / floor["rss"]
    overhead = ours["doc"][0] - raw_doc_p50
    targets = [
        ("cold start ≤ 1.10× SDK floor", f"{cold_ratio:.2f}×", cold_ratio <= 1.10),
        ("idle RSS ≤ 1.10× SDK floor", f"{rss_ratio:.2f}×", rss_ratio <= 1.10),
        ("call overhead over bare GET ≤ 2 ms p50 (doc)", f"{overhead:.2f} ms", overhead <= 2.0),
        ("100 concurrent calls ≤ 0.3 s", f"{ours['burst']:.3f} s", ours["burst"] <= 0.3),
        ("default tools/list ≤ 6 KB", f"{ours['tools_bytes']} B", ours["tools_bytes"] <= 6144),
        (
            "doc text ≤ 50% of compact JSON, all values",
            f"{ours['doc_text'] / ours['doc_json']:.0%}",
            ours["doc_text"] <= 0.5 * ours["doc_json"] and ours["doc_complete"],
        ),
    ]
    better = all(
        [
            ours["cold_median"] < bridge["cold_median"],
            ours["rss"] < bridge["rss"],
            ours["doc"][0] < bridge["doc"][0],
            ours["burst"] < bridge["burst"],
            ours["doc_text"] < bridge["doc_text"],
        ]
    )
    targets.append(("better than the generic bridge on each of these", "see table", better))
    lines += [f"| {name} | {value} | {yes(met)} |" for name, value, met in targets]
    return "\n".join(lines)


def yes(flag: bool | None) -> str:
    return "n/a" if flag is None else "yes" if flag else "no"


def checks(found: dict[str, bool | None]) -> str:
    return " / ".join(yes(found[key]) for key in ("status", "code", "requestId", "next step"))


if __name__ == "__main__":
    main()
