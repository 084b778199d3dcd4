"""Entry point: the only module that reads the environment and argv."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace

import anyio

from hostup_mcp import __version__
from hostup_mcp.config import HTTP_TRANSPORT, Config, ConfigError, HttpSettings
from hostup_mcp.hostup import tls

DESCRIPTION = """\
MCP server for the ISO media of HostUp VPS. Without a command it serves MCP over stdio, which is how
Claude Desktop, Claude Code, Cursor and VS Code start it. Settings come from the environment:
HOSTUP_API_KEY (read:vm scope, from https://cloud.hostup.se/api-management), HOSTUP_BASE_URL,
HOSTUP_TIMEOUT, HOSTUP_LOG_LEVEL, HOSTUP_DEMO, HOSTUP_ENABLE_WRITES. Read-only unless writes are enabled."""

EPILOG = """\
demo VPS ids (--demo): vps_01hxa3b4c5d6e7f8g9h0j1k2m3 (the documented example), vps_demoblocked
(mount/upload blocked, pending_order), vps_demoempty (nothing mounted, bootOrder null); errors:
vps_demoforbidden (403), vps_demomissing (404), vps_demoratelimited (429), vps_demobroken (500).

examples:
  hostup-mcp --demo                                   serve the sandbox to an MCP client
  hostup-mcp --enable-writes                          also offer mount, unmount, download and delete
  hostup-mcp --transport http --demo                  the sandbox over Streamable HTTP at http://127.0.0.1:8000/mcp
  hostup-mcp check                                    is the key valid, with read:vm, and HostUp reachable?
  hostup-mcp iso vps_01hxa3b4c5d6e7f8g9h0j1k2m3 --demo  one call, printed as the model reads it"""


def build_parser() -> argparse.ArgumentParser:
    demo_help = "use the built-in HostUp sandbox: no network, no key (same as HOSTUP_DEMO=1)"
    parser = argparse.ArgumentParser(
        prog="hostup-mcp",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hostup-mcp {__version__}")
    parser.add_argument("--demo", action="store_true", help=demo_help)
    parser.add_argument(
        "--enable-writes",
        action="store_true",
        help="also offer the tools that change a VPS (mount, unmount, download, delete); = HOSTUP_ENABLE_WRITES=1",
    )
    parser.add_argument(
        "--transport",
        choices=("stdio", "http"),
        help="stdio (default: what clients start) or http (Streamable HTTP at /mcp); = HOSTUP_MCP_TRANSPORT",
    )
    parser.add_argument("--host", help="HTTP: address to listen on (default 127.0.0.1); = HOSTUP_MCP_HOST")
    parser.add_argument("--port", help="HTTP: port to listen on (default 8000, 0: any); = HOSTUP_MCP_PORT")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = commands.add_parser("check", help="check the configuration, the key and the connection to HostUp")
    iso = commands.add_parser("iso", help="print one VPS's ISO media as the model sees it")
    iso.add_argument("vps_id", metavar="VPS_ID", help="public VPS id (vps_…) from GET /api/v2/vps")
    iso.add_argument("--json", action="store_true", help="print the structured content as JSON instead")
    for command in (check, iso):
        # SUPPRESS keeps a --demo given before the command from being reset by the command's own default.
        command.add_argument("--demo", action="store_true", default=argparse.SUPPRESS, help=demo_help)
    return parser


BROKEN_PIPE_EXIT = 141  # 128 + SIGPIPE, what a shell reports for a command whose reader went away


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = Config.from_env(os.environ, demo=args.demo)
    except ConfigError as exc:
        print(f"hostup-mcp: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.enable_writes:
        config = replace(config, enable_writes=True)
    configure_logging(config)

    if args.command is None:
        transport = args.transport or os.environ.get(HTTP_TRANSPORT, "").strip().lower() or "stdio"
        if transport == "http":
            return serve_http(config, args)
        if transport != "stdio":
            print(f"hostup-mcp: configuration error: {HTTP_TRANSPORT} must be stdio or http", file=sys.stderr)
            return 2
        return serve(config)
    # Deferred: the MCP SDK takes most of a second to import; --help and config errors answer at once.
    from hostup_mcp import commands

    sys.stdout.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]  # a legacy Windows console
    try:
        if args.command == "check":
            return anyio.run(commands.check, config, sys.stdout)
        return anyio.run(commands.show_iso_media, config, args.vps_id, args.json, sys.stdout, sys.stderr)
    except BrokenPipeError:
        # The reader went away (`hostup-mcp check | head -1`): nothing left to say, and no traceback. Point
        # stdout at nothing so the interpreter's last flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE_EXIT


def configure_logging(config: Config) -> None:
    # Before MCPServer() does: its basicConfig would log every httpx request at INFO.
    logging.basicConfig(
        level=config.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def serve_http(config: Config, args: argparse.Namespace) -> int:
    try:
        settings = HttpSettings.from_env(os.environ, host=args.host, port=args.port)
        if settings.oauth and not config.demo:
            config = replace(config, key_source="oauth")
        elif config.api_key is None and not config.demo:
            config = replace(config, key_source="request")
        config = replace(config, max_concurrent_calls=settings.max_concurrent_calls)
        settings.check(config)
    except ConfigError as exc:
        print(f"hostup-mcp: configuration error: {exc}", file=sys.stderr)
        return 2
    if not config.demo:
        tls.start(config.ca_file)
    from hostup_mcp import http

    try:
        return http.serve(config, settings)
    except ConfigError as exc:  # the address cannot be listened on
        print(f"hostup-mcp: configuration error: {exc}", file=sys.stderr)
        return 2


def serve(config: Config) -> int:
    if config.api_key is None:
        logging.getLogger("hostup_mcp").warning(
            "HOSTUP_API_KEY is not set: the server starts, but every tool call returns an error saying so"
        )
    if not config.demo:
        tls.start(config.ca_file)  # overlaps the CA bundle load with the SDK's imports below
    from hostup_mcp.server import build_server

    build_server(config).run()
    return 0
