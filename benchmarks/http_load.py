"""Load on the remote server: N concurrent HTTP clients against one process, then two replicas behind a
round-robin balancer, all on one fake HostUp on 127.0.0.1. Prints a markdown table.

Each client sends `tools/call list_vps_iso_media` as stateless 2025-11-25 requests (no initialize needed)
with its own per-user key, as fast as answers come. Measured: calls/s, p50/p95 latency, errors (must be
0), and each server process's RSS before and after.

Usage: python benchmarks/http_load.py [--clients 20] [--calls 50] [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import anyio
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


async def load(url: str, clients: int, calls: int) -> tuple[float, list[float], int]:
    """(seconds, latencies in ms, errors) for `clients` clients making `calls` calls each."""
    latencies: list[float] = []
    errors = 0
    body = json.dumps(CALL)

    async def client() -> None:
        nonlocal errors
        async with httpx2.AsyncClient(headers=HEADERS, timeout=30) as http:
            for _ in range(calls):
                started = time.perf_counter()
                try:
                    answer = await http.post(url, content=body)
                    ok = answer.status_code == 200 and answer.json()["result"].get("isError") is False
                except httpx2.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - started) * 1000)
                errors += not ok

    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for _ in range(clients):
            group.start_soon(client)
    return time.perf_counter() - started, latencies, errors


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(replicas: int, clients: int, calls: int) -> dict[str, str]:
    with ExitStack() as stack:
        base_url = stack.enter_context(serve_http(FakeHostUp()))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="a few calls, to check the benchmark still works")
    args = parser.parse_args()
    clients, calls = (4, 3) if args.quick else (args.clients, args.calls)
    rows = [run(1, clients, calls), run(2, clients, calls)]
    print("| " + " | ".join(rows[0]) + " |")
    print("|" + "---|" * len(rows[0]))
    for row in rows:
        print("| " + " | ".join(row.values()) + " |")
    if any(row["errors"] != "0" for row in rows):
        raise SystemExit("errors under load")


if __name__ == "__main__":
    main()
