#!/usr/bin/env bash
# Build the Claude Desktop bundle: dist/hostup-mcp-<version>.mcpb (needs npm's @anthropic-ai/mcpb).
# The bundle holds the source and pyproject.toml only; the host installs dependencies with uv.
set -euo pipefail
cd "$(dirname "$0")/.."
out_dir="${1:-dist}"
version=$(python3 -c 'import json; print(json.load(open("manifest.json"))["version"])')
mkdir -p "$out_dir"
mcpb validate manifest.json
mcpb pack . "$out_dir/hostup-mcp-$version.mcpb"
