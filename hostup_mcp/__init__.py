"""MCP server for the ISO media of HostUp VPS."""

__version__ = "0.1.0"
