"""The practical floor: a bare MCPServer with one trivial tool and no HTTP client."""

from mcp.server.mcpserver import MCPServer

server = MCPServer("floor", log_level="WARNING")


@server.tool()
def echo(text: str) -> str:
    """Return the text."""
    return text


if __name__ == "__main__":
    server.run()
