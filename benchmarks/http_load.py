"""Load on the remote server, beside its peers: N concurrent HTTP clients, all on one fake HostUp on 127.0.0.1.
Prints two markdown tables.

1. Peers, one process each, rounds interleaved, medians of the rounds: a bare MCPServer whose tool GETs the
   route with httpx and returns the JSON as text (benchmarks/bare_server.py), fastmcp's generic OpenAPI bridge
   (benchmarks/bridge_server.py --http), and hostup-mcp with per-user keys. Calls/s, p50/p95, errors, the
   server's CPU time per call (utime + stime from /proc), and hostup-mcp's ratios to each peer.
2. hostup-mcp as one process, then two replicas behind a round-robin balancer, with each process's RSS.
3. A slow HostUp (`--slow`): every answer takes 1 s, 200 clients call at once. Each call must be answered
   within HOSTUP_TIMEOUT (a result, or "busy" past the call slots), none lost, and RSS must stay bounded.

Each client sends `tools/call list_vps_iso_media` as stateless 2025-11-25 requests (no initialize needed),
as fast as answers come; to hostup-mcp with its own per-user key (to the peers, which hold one server key, with
none).

Usage: python benchmarks/http_load.py [--clients 20] [--calls 40] [--rounds 3] [--quick] [--slow]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import httpx2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.balancer import balancing  # noqa: E402
from tests.fake_hostup import API_KEY, EXAMPLE_VPS_ID, FakeHostUp, serve_http  # noqa: E402
from tests.http_server import HttpServer, http_server  # noqa: E402

CALL = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {"name": "list_vps_iso_media", "arguments": {"vps_id": EXAMPLE_VPS_ID}},
}
HEADERS = {
    "content-type": "application/json",
    "accept": "application/json, text/event-stream",
    "mcp-protocol-version": "2025-11-25",
    "authorization": f"Bearer {API_KEY}",
}


def rss_mib(server: HttpServer) -> float:
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]) / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Peer:
    name: str
    url: str
    pid: int
    headers: dict[str, str]
    ok: Callable[[dict], bool]
    body: str = json.dumps(CALL)


class ManyUsersHostUp(FakeHostUp):
    """The fake HostUp, taking every user's own key (`API_KEY-userN`): per-user mode serves many users, and one
    key may hold only a quarter of the server's call slots."""

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization", "").startswith(f"Bearer {API_KEY}-user"):
            request.headers["authorization"] = f"Bearer {API_KEY}"
        return await super().handle(request)


class SlowHostUp(ManyUsersHostUp):
    """Every answer takes `delay` seconds, as a HostUp under strain might."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def handle(self, request: httpx.Request) -> httpx.Response:
        await anyio.sleep(self.delay)
        return await super().handle(request)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def script_server(name: str, script: str, base_url: str, *args: str, argument: str = "vps_id") -> Iterator[Peer]:
    """A peer from benchmarks/, on its own port, with the server key in its environment."""
    port = free_port()
    env = {**os.environ, "HOSTUP_BASE_URL": base_url, "HOSTUP_API_KEY": API_KEY}
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / script), *args, str(port)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit(f"{name} did not start") from None
                time.sleep(0.1)
        headers = {key: value for key, value in HEADERS.items() if key != "authorization"}
        call = {**CALL, "params": {**CALL["params"], "arguments": {argument: EXAMPLE_VPS_ID}}}
        yield Peer(name, f"http://127.0.0.1:{port}/mcp", process.pid, headers, answered_as_text, json.dumps(call))
    finally:
        process.terminate()
        process.wait(timeout=10)


def answered_as_text(answer: dict) -> bool:
    result = answer["result"]
    return result.get("isError") is not True and '"available"' in result["content"][0]["text"]


def answered_by_hostup_mcp(answer: dict) -> bool:
    return answer["result"].get("isError") is False


async def load(
    url: str,
    clients: int,
    calls: int,
    headers: dict[str, str] = HEADERS,
    ok: Callable[[dict], bool] = answered_by_hostup_mcp,
    body: str = json.dumps(CALL),
) -> tuple[float, list[float], int]:
    """(seconds, latencies in ms, errors) for `clients` clients making `calls` calls each."""
    latencies: list[float] = []
    errors = 0

    async def client(number: int) -> None:
        nonlocal errors
        own = {**headers, "authorization": f"Bearer {API_KEY}-user{number}"} if "authorization" in headers else headers
        async with httpx2.AsyncClient(headers=own, timeout=30) as http:
            for _ in range(calls):
                started = time.perf_counter()
                try:
                    answer = await http.post(url, content=body)
                    good = answer.status_code == 200 and ok(answer.json())
                except (httpx2.HTTPError, ValueError, KeyError):
                    good = False
                latencies.append((time.perf_counter() - started) * 1000)
                errors += not good

    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for number in range(clients):
            group.start_soon(client, number)
    return time.perf_counter() - started, latencies, errors


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(replicas: int, clients: int, calls: int) -> dict[str, str]:
    with ExitStack() as stack:
        base_url = stack.enter_context(serve_http(ManyUsersHostUp()))
        servers = [stack.enter_context(http_server({"HOSTUP_BASE_URL": base_url})) for _ in range(replicas)]
        if replicas == 1:
            url = servers[0].url
        else:
            upstreams = [("127.0.0.1", int(server.base.rsplit(":", 1)[1])) for server in servers]
            balancer_url, _ = stack.enter_context(balancing(upstreams))
            url = f"{balancer_url}/mcp"
        anyio.run(load, url, clients, 2)  # warm up: imports, connections, caches
        before = [rss_mib(server) for server in servers]
        seconds, latencies, errors = anyio.run(load, url, clients, calls)
        after = [rss_mib(server) for server in servers]
    return {
        "setup": f"{replicas} {'process' if replicas == 1 else 'replicas + balancer'}",
        "clients × calls": f"{clients} × {calls}",
        "calls/s": f"{len(latencies) / seconds:.0f}",
        "p50 ms": f"{statistics.median(latencies):.1f}",
        "p95 ms": f"{percentile(latencies, 0.95):.1f}",
        "errors": str(errors),
        "RSS before → after (MiB)": ", ".join(f"{b:.1f} → {a:.1f}" for b, a in zip(before, after, strict=True)),
    }


def compare_peers(clients: int, calls: int, rounds: int) -> list[dict[str, str]]:
    """Each peer under the same load, rounds interleaved so drift hits all alike; the median of the rounds."""
    samples: dict[str, list[tuple[float, float, float, int, float]]] = {}
    with ExitStack() as stack:
        base_url = stack.enter_context(serve_http(ManyUsersHostUp()))
        ours = stack.enter_context(http_server({"HOSTUP_BASE_URL": base_url}))
        peers = [
            stack.enter_context(script_server("bare MCPServer + httpx", "bare_server.py", base_url)),
            stack.enter_context(
                script_server("fastmcp from_openapi bridge", "bridge_server.py", base_url, "--http", argument="id")
            ),
            Peer("hostup-mcp (per-user key)", ours.url, ours.process.pid, HEADERS, answered_by_hostup_mcp),
        ]
        for peer in peers:
            anyio.run(load, peer.url, clients, 2, peer.headers, peer.ok, peer.body)  # warm up
        for _ in range(rounds):
            for peer in peers:
                cpu_before = cpu_seconds(peer.pid)
                seconds, latencies, errors = anyio.run(load, peer.url, clients, calls, peer.headers, peer.ok, peer.body)
                cpu = (cpu_seconds(peer.pid) - cpu_before) * 1000 / len(latencies)
                p50, p95 = statistics.median(latencies), percentile(latencies, 0.95)
                samples.setdefault(peer.name, []).append((len(latencies) / seconds, p50, p95, errors, cpu))
    medians = {
        name: [statistics.median(values) for values in zip(*rows, strict=True)] for name, rows in samples.items()
    }
    ours_rate, *_, ours_cpu = medians["hostup-mcp (per-user key)"]
    table = []
    for name, (rate, p50, p95, errors, cpu) in medians.items():
        table.append(
            {
                "server": name,
                "calls/s": f"{rate:.0f}",
                "p50 ms": f"{p50:.1f}",
                "p95 ms": f"{p95:.1f}",
                "errors": f"{errors:.0f}",
                "server CPU ms/call": f"{cpu:.2f}",
                "hostup-mcp calls/s ÷ this": f"{ours_rate / rate:.2f}",
                "hostup-mcp CPU ÷ this": f"{ours_cpu / cpu:.2f}",
            }
        )
    return table


async def everyone_at_once(url: str, clients: int) -> tuple[list[float], dict[str, int]]:
    """One call per client, all at once: each one's latency, and how each was answered."""
    latencies: list[float] = []
    answers: dict[str, int] = {"result": 0, "busy": 0, "other": 0}

    # One client for all (a client each would spend seconds of this process's CPU on 200 TLS contexts).
    limits = httpx2.Limits(max_connections=clients, max_keepalive_connections=clients)
    http = httpx2.AsyncClient(timeout=60, limits=limits)

    async def client(number: int) -> None:
        headers = {**HEADERS, "authorization": f"Bearer {API_KEY}-user{number}"}
        started = time.perf_counter()
        try:
            result = (await http.post(url, content=json.dumps(CALL), headers=headers)).json()["result"]
            problem = (result.get("_meta") or {}).get("io.github.hostup-mcp/problem") or {}
            kind = "result" if result.get("isError") is False else "busy" if problem.get("code") == "busy" else "other"
        except (httpx2.HTTPError, ValueError, KeyError):
            kind = "other"
        latencies.append((time.perf_counter() - started) * 1000)
        answers[kind] += 1

    async with http, anyio.create_task_group() as group:
        for number in range(clients):
            group.start_soon(client, number)
    return latencies, answers


def slow_hostup(clients: int, delay: float, timeout: float = 20.0) -> dict[str, str]:
    with ExitStack() as stack:
        base_url = stack.enter_context(serve_http(SlowHostUp(delay)))
        server = stack.enter_context(http_server({"HOSTUP_BASE_URL": base_url, "HOSTUP_TIMEOUT": str(timeout)}))
        anyio.run(load, server.url, 2, 1)  # warm up
        before = rss_mib(server)
        latencies, answers = anyio.run(everyone_at_once, server.url, clients)
        after = rss_mib(server)
    return {
        "HostUp answers in": f"{delay:.0f} s",
        "clients at once": str(clients),
        "results": str(answers["result"]),
        "busy": str(answers["busy"]),
        "lost or other": str(answers["other"]),
        "slowest answer ms": f"{max(latencies):.0f}",
        "within HOSTUP_TIMEOUT": "yes" if max(latencies) <= timeout * 1000 else "NO",
        "RSS before → after (MiB)": f"{before:.1f} → {after:.1f}",
    }


def markdown(rows: list[dict[str, str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    return "\n".join(lines + ["| " + " | ".join(row.values()) + " |" for row in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a few calls, to check the benchmark still works")
    parser.add_argument("--slow", action="store_true", help="only the slow-HostUp scenario: 1 s answers, 200 clients")
    args = parser.parse_args()
    if args.slow:
        row = slow_hostup(clients=200, delay=1.0)
        print(markdown([row]))
        if row["lost or other"] != "0" or row["within HOSTUP_TIMEOUT"] != "yes":
            raise SystemExit("calls lost or late with a slow HostUp")
        return
    clients, calls, rounds = (4, 3, 1) if args.quick else (args.clients, args.calls, args.rounds)
    peers = compare_peers(clients, calls, rounds)
    print(f"Peers, {clients} clients × {calls} calls, median of {rounds} interleaved rounds:\n")
    print(markdown(peers) + "\n")
    replicas = [run(1, clients, calls), run(2, clients, calls)]
    print(markdown(replicas))
    if any(row["errors"] != "0" for row in peers + replicas):
        raise SystemExit("errors under load")


if __name__ == "__main__":
    main()
