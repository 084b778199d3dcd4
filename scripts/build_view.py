"""Build hostup_mcp/tools/iso_media_view.html: the view template with the official MCP Apps `App` class inlined.

    npm ci --prefix tests/clients      # installs the pinned @modelcontextprotocol/ext-apps (and zod, for its licence)
    python scripts/build_view.py       # writes the view and LICENSES/; --check only compares (the tests run that)

From an sdist (which has no tests/ folder), name the folder where those packages are installed:
`--node-modules DIR` (e.g. after `npm install @modelcontextprotocol/ext-apps@2.0.4` in an empty folder).

Hosts give a view a strict CSP and some ignore declared domains, so the view loads nothing: ext-apps'
`app-with-deps.js` (one ESM file with its dependencies) is pasted in, its final `export{…}` rewritten to
`globalThis.McpExtApps = {…}` for the view's own script, under its licence notice. The licences of the
inlined code are also written to LICENSES/, which the wheel ships (pyproject.toml: license-files). The template's
__VERSION__ becomes the package's version.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "scripts" / "view" / "iso_media.html"
OUTPUT = ROOT / "hostup_mcp" / "tools" / "iso_media_view.html"
LICENSES = ROOT / "LICENSES"
VERSION_FILE = ROOT / "hostup_mcp" / "__init__.py"


def node_modules() -> Path:
    if "--node-modules" in sys.argv:
        return Path(sys.argv[sys.argv.index("--node-modules") + 1]).resolve()
    return ROOT / "tests" / "clients" / "node_modules"


PACKAGES = node_modules()
EXT_APPS = PACKAGES / "@modelcontextprotocol" / "ext-apps"
PINNED = "2.0.4"
PLACEHOLDER = "/*__EXT_APPS__*/"
# The packages app-with-deps.js bundles, by the name of their licence file in LICENSES/.
INLINED = {
    "modelcontextprotocol-ext-apps.txt": EXT_APPS,
    "modelcontextprotocol-sdk.txt": PACKAGES / "@modelcontextprotocol" / "sdk",
    "zod.txt": PACKAGES / "zod",
}


def build() -> str:
    version = json.loads((EXT_APPS / "package.json").read_text())["version"]
    if version != PINNED:
        raise SystemExit(f"ext-apps is {version}, the view pins {PINNED}: npm ci --prefix tests/clients")
    bundle = (EXT_APPS / "dist" / "src" / "app-with-deps.js").read_text()
    exports = re.search(r"export\s*\{([^}]*)\};?\s*$", bundle)
    if exports is None:
        raise SystemExit("app-with-deps.js no longer ends with export{…}; the build needs updating")
    pairs = [part.strip().split(" as ") for part in exports.group(1).split(",")]
    names = ",".join(f"{pair[-1]}:{pair[0]}" for pair in pairs)
    script = bundle[: exports.start()] + f"globalThis.McpExtApps={{{names}}};"
    notice = (
        f"/*! @modelcontextprotocol/ext-apps {PINNED} (dist/src/app-with-deps.js), inlined unchanged but for its\n"
        "    last statement (export -> globalThis.McpExtApps). It bundles zod and the MCP TypeScript SDK.\n\n"
        + licence(EXT_APPS / "LICENSE")
        + "\n\nzod:\n"
        + licence(PACKAGES / "zod" / "LICENSE")
        + "\n*/\n"
    )
    version = re.search(r'__version__ = "([^"]+)"', VERSION_FILE.read_text())
    if version is None:
        raise SystemExit(f"no __version__ in {VERSION_FILE.relative_to(ROOT)}")
    return TEMPLATE.read_text().replace(PLACEHOLDER, notice + script).replace("__VERSION__", version.group(1))


def licences() -> dict[Path, str]:
    return {LICENSES / name: (package / "LICENSE").read_text() for name, package in INLINED.items()}


def licence(path: Path) -> str:
    return path.read_text().replace("*/", "* /").strip()


def main() -> int:
    built = {OUTPUT: build(), **licences()}
    if "--check" in sys.argv:
        stale = [path for path, text in built.items() if not path.is_file() or path.read_text() != text]
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date: python scripts/build_view.py", file=sys.stderr)
        return 1 if stale else 0
    LICENSES.mkdir(exist_ok=True)
    for path, text in built.items():
        path.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({len(built[OUTPUT].encode()):,} bytes) and {LICENSES.name}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
