"""Soak: thousands of mixed tool calls in one stdio session; reports RSS and open sockets.

Runs the installed `hostup-mcp` against the fake HostUp on 127.0.0.1 (real HTTP), 20 calls in flight
at a time, with outcomes mixed: data, blocked gates, 400, 403, 404, 429 (long Retry-After, not waited),
malformed ids (no request). Usage: python benchmarks/soak.py [calls]
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_hostup import FakeHostUp, serve_http
from tests.stdio_session import RawSession, server_env

MIX = [
    "vps_01hxa3b4c5d6e7f8g9h0j1k2m3",
    "vps_demoblocked",
    "vps_invalid",
    "vps_demoforbidden",
    "vps_unknown1",
    "vps_demoratelimited",
    "../etc/passwd",
    "vps_extra",
    "vps_unicode",
    "vps_demoempty",
]
IN_FLIGHT = 20


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]) / 1024


def open_sockets(pid: int) -> int:
    fds = Path(f"/proc/{pid}/fd").iterdir()
    return sum(1 for fd in fds if fd.exists() and fd.readlink().as_posix().startswith("socket:"))


def run_calls(session: RawSession, count: int, ids: itertools.cycle, first_id: int) -> int:
    """Send `count` calls, IN_FLIGHT at a time; return the number answered."""
    answered = 0
    request_id = first_id
    for start in range(0, count, IN_FLIGHT):
        batch = range(request_id, request_id + min(IN_FLIGHT, count - start))
        for rid in batch:
            session.send(
                {
                    "jsonrpc": "2.0",
                    "id": rid,
                    "method": "tools/call",
                    "params": {"name": "list_vps_iso_media", "arguments": {"vps_id": next(ids)}},
                }
            )
        pending = set(batch)
        while pending:
            reply = session.reply()
            if reply.get("id") in pending:
                assert "result" in reply, reply
                pending.discard(reply["id"])
                answered += 1
        request_id += len(batch)
    return answered


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    ids = itertools.cycle(MIX)
    with serve_http(FakeHostUp()) as base_url:
        session = RawSession(server_env(base_url))
        session.handshake()
        pid = session.process.pid
        run_calls(session, 200, ids, first_id=10)  # warm-up: imports, pools, caches
        checkpoints = [(0, rss_mib(pid), open_sockets(pid))]
        started = time.perf_counter()
        done = 0
        for quarter in range(4):
            batch = calls // 4 if quarter < 3 else calls - done
            run_calls(session, batch, ids, first_id=10_000 + done)
            done += batch
            checkpoints.append((done, rss_mib(pid), open_sockets(pid)))
        elapsed = time.perf_counter() - started
        session.close()
    print(f"{calls} calls, 20 in flight, mixed outcomes: {calls / elapsed:.0f} calls/s")
    print("| calls done | RSS | open sockets (httpx keeps at most 20 idle connections) |")
    print("|---|---|---|")
    for done, rss, sockets in checkpoints:
        print(f"| {done} | {rss:.1f} MiB | {sockets} |")
    print(f"RSS growth after warm-up: {checkpoints[-1][1] - checkpoints[0][1]:+.1f} MiB")


if __name__ == "__main__":
    main()
