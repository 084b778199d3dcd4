"""Cold start of hostup-mcp against a bare one-tool MCPServer, interleaved in the same run.

Measures spawn -> `initialize` answered -> `tools/list` answered over real stdio, and idle RSS.
Usage: python benchmarks/cold_start.py [runs]
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}},
}


def spawn_to_tools_list(command: list[str]) -> tuple[float, float]:
    """Seconds from spawn to the tools/list reply, and the idle RSS in MiB one second later."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdin is not None and process.stdout is not None

    def send(message: dict[str, object]) -> None:
        process.stdin.write(json.dumps(message) + "\n")
        process.stdin.flush()

    send(INITIALIZE)
    assert json.loads(process.stdout.readline())["id"] == 1
    send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    send({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    assert json.loads(process.stdout.readline())["result"]["tools"]
    elapsed = time.perf_counter() - started
    time.sleep(1.0)
    status = Path(f"/proc/{process.pid}/status").read_text()
    rss_kib = int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1])
    process.stdin.close()
    process.wait(timeout=10)
    return elapsed, rss_kib / 1024


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    hostup = shutil.which("hostup-mcp") or str(Path(sys.executable).with_name("hostup-mcp"))
    servers = {"SDK floor (bare MCPServer)": [sys.executable, str(HERE / "floor_server.py")], "hostup-mcp": [hostup]}
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in servers}
    for command in servers.values():
        spawn_to_tools_list(command)  # warm the page cache
    for _ in range(runs):
        for name, command in servers.items():  # interleaved, so drift hits both alike
            samples[name].append(spawn_to_tools_list(command))
    print("| server | spawn → tools/list median (min–max) | idle RSS median | runs |\n|---|---|---|---|")
    for name, values in samples.items():
        times = sorted(t * 1000 for t, _ in values)
        rss = statistics.median(r for _, r in values)
        print(
            f"| {name} | {statistics.median(times):.0f} ms ({times[0]:.0f}–{times[-1]:.0f}) | {rss:.1f} MiB | {runs} |"
        )


if __name__ == "__main__":
    main()
