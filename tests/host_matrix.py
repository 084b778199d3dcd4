"""Print the client-by-scenario table that tests/test_real_hosts.py and tests/test_frameworks.py wrote.

    python tests/host_matrix.py FOLDER

Each row comes from one host or framework run (HOSTUP_MATRIX_DIR=FOLDER while the tests ran).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def table(folder: Path) -> str:
    rows = [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]
    if not rows:
        return "no host or framework rows were written"
    columns = list(rows[0]["cells"])
    lines = ["| client | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for row in rows:
        marks = [row["cells"].get(column, "?")[:1] for column in columns]  # ✔, or ✘ (the reason is in the test log)
        lines.append(f"| {row['client']} | " + " | ".join(marks) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(Path(sys.argv[1])))
