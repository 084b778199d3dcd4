#!/usr/bin/env bash
# Build the Claude Desktop bundle: dist/hostup-mcp-<version>.mcpb (needs npm's @anthropic-ai/mcpb).
# The bundle holds the source and pyproject.toml only; the host installs the dependencies with uv.
# It is packed from a staging copy of exactly those files, so no local venv, cache or test file can slip in.
set -euo pipefail
cd "$(dirname "$0")/.."
out_dir=$(mkdir -p "${1:-dist}" && cd "${1:-dist}" && pwd)
version=$(python3 -c 'import json; print(json.load(open("manifest.json"))["version"])')
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp manifest.json pyproject.toml README.md LICENSE icon.png "$stage/"
cp -r hostup_mcp "$stage/"
find "$stage/hostup_mcp" -name __pycache__ -prune -exec rm -rf {} +
mcpb validate "$stage/manifest.json"
mcpb pack "$stage" "$out_dir/hostup-mcp-$version.mcpb"
