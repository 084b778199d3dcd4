#!/usr/bin/env bash
# Build the Claude Desktop bundle: dist/hostup-mcp-<version>.mcpb (needs npm's @anthropic-ai/mcpb and uv).
# The bundle holds the source, a runtime-only pyproject.toml, its uv.lock and .python-version; the host's uv
# installs exactly the locked versions (`uv run --frozen`, manifest.json). It is packed from a staging copy of
# exactly those files, so no local venv, cache or test file can slip in.
set -euo pipefail
cd "$(dirname "$0")/.."
out_dir=$(mkdir -p "${1:-dist}" && cd "${1:-dist}" && pwd)
version=$(python3 -c 'import json; print(json.load(open("manifest.json"))["version"])')
uv=${UV:-uv}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp manifest.json README.md LICENSE icon.png "$stage/"
cp -r LICENSES hostup_mcp "$stage/"
find "$stage/hostup_mcp" -name __pycache__ -prune -exec rm -rf {} +
python3 scripts/bundle_project.py "$stage"
# The oldest Python the server supports, tested on every OS; uv fetches it where the user has none.
echo "3.11" > "$stage/.python-version"
# Starting from the project's lock, uv keeps every version it has and drops what only the extras need.
cp uv.lock "$stage/uv.lock"
"$uv" lock --quiet --directory "$stage"
mcpb validate "$stage/manifest.json"
mcpb pack "$stage" "$out_dir/hostup-mcp-$version.mcpb"
