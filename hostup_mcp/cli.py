"""Entry point: the only module that reads the environment and argv."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from hostup_mcp import __version__
from hostup_mcp.config import Config, ConfigError


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="hostup-mcp",
        description=(
            "MCP server (stdio) for the ISO media of HostUp VPS. Configure it with HOSTUP_API_KEY, "
            "HOSTUP_BASE_URL, HOSTUP_TIMEOUT and HOSTUP_LOG_LEVEL; MCP clients start it without arguments."
        ),
    )
    parser.add_argument("--version", action="version", version=f"hostup-mcp {__version__}")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    parse_args(argv)
    try:
        config = Config.from_env(os.environ)
    except ConfigError as exc:
        print(f"hostup-mcp: configuration error: {exc}", file=sys.stderr)
        return 2
    # Configure logging before MCPServer() does (its basicConfig would log every httpx request at INFO).
    logging.basicConfig(
        level=config.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    if config.api_key is None:
        logging.getLogger("hostup_mcp").warning(
            "HOSTUP_API_KEY is not set: the server starts, but every tool call returns an error saying so"
        )

    from hostup_mcp.server import build_server  # deferred: `--version` and config errors answer instantly

    build_server(config).run()
    return 0
