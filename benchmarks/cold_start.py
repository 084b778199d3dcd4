"""Cold start only: hostup-mcp against a bare one-tool MCPServer, interleaved, without the bench extra.

The same measurement as benchmarks/run.py (spawn -> tools/list answered, -> first call answered, idle RSS),
for an environment that has only hostup-mcp installed, as a user's would.
Usage: python benchmarks/cold_start.py [runs]
"""

from __future__ import annotations

import shutil
import statistics
import sys
from pathlib import Path

from run import API_KEY, ROOT, ServerKind, cold_start, serve_http, spread

from tests.fake_hostup import FakeHostUp


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    with serve_http(FakeHostUp()) as base_url:
        kinds = [
            ServerKind(
                "SDK floor (bare MCPServer)", [sys.executable, str(ROOT / "benchmarks" / "floor_server.py")], None
            ),
            ServerKind(
                "hostup-mcp",
                [shutil.which("hostup-mcp") or str(Path(sys.executable).with_name("hostup-mcp"))],
                "list_vps_iso_media",
                env={"HOSTUP_BASE_URL": base_url, "HOSTUP_API_KEY": API_KEY},
            ),
        ]
        samples: dict[str, list[tuple[float, float, float]]] = {kind.name: [] for kind in kinds}
        for kind in kinds:
            cold_start(kind)  # warm the page cache
        for _ in range(runs):
            for kind in kinds:  # interleaved, so drift hits both alike
                samples[kind.name].append(cold_start(kind))
    print("| server | spawn → tools/list | spawn → first call | idle RSS | runs |\n|---|---|---|---|---|")
    for name, values in samples.items():
        rss = statistics.median(value[2] for value in values)
        listed, called = spread([v[0] for v in values]), spread([v[1] for v in values])
        print(f"| {name} | {listed} ms | {called} ms | {rss:.1f} MiB | {runs} |")


if __name__ == "__main__":
    main()
