"""Write the bundle's pyproject.toml: the runtime dependencies only, run from source, never built.

    python3 scripts/bundle_project.py STAGE    # reads ./pyproject.toml, writes STAGE/pyproject.toml

The bundle's uv.lock is resolved from this file (by scripts/pack-bundle.sh, keeping the project lock's
versions), so it holds what the server needs at run time and nothing the tests or benchmarks need. The
project is not a package there (`tool.uv.package = false`): uv installs the locked dependencies and runs
`python -m hostup_mcp` from the bundle's folder, so no build backend is fetched on the user's machine.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def bundle_pyproject() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    version = re.search(r'__version__ = "([^"]+)"', (ROOT / "hostup_mcp" / "__init__.py").read_text())
    assert version is not None
    dependencies = "".join(f"    {quoted(dependency)},\n" for dependency in project["dependencies"])
    return (
        "# Written by scripts/bundle_project.py for the Claude Desktop bundle: edit the project's pyproject.toml.\n"
        "[project]\n"
        f"name = {quoted(project['name'])}\n"
        f"version = {quoted(version.group(1))}\n"
        f"requires-python = {quoted(project['requires-python'])}\n"
        f"dependencies = [\n{dependencies}]\n"
        "\n[tool.uv]\n"
        "package = false\n"
    )


def main() -> int:
    (Path(sys.argv[1]) / "pyproject.toml").write_text(bundle_pyproject())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
