"""The practical floor over HTTP: a bare MCPServer whose one tool GETs the ISO route with httpx and returns the
JSON as its text. Stateless Streamable HTTP with JSON answers, like hostup-mcp's.

Usage: python benchmarks/bare_server.py PORT   (HOSTUP_BASE_URL, HOSTUP_API_KEY)
"""

from __future__ import annotations

import os
import sys

import httpx
import uvicorn
from mcp.server.mcpserver import MCPServer

server = MCPServer("bare", log_level="WARNING")
client = httpx.AsyncClient(
    base_url=os.environ.get("HOSTUP_BASE_URL", "https://cloud.hostup.se"),
    headers={"Authorization": f"Bearer {os.environ.get('HOSTUP_API_KEY', '')}", "Accept": "application/json"},
    timeout=20.0,
)


@server.tool()
async def list_vps_iso_media(vps_id: str) -> str:
    """Show a VPS's ISO media."""
    return (await client.get(f"/api/v2/vps/{vps_id}/iso")).text


if __name__ == "__main__":
    app = server.streamable_http_app(stateless_http=True, json_response=True, host="127.0.0.1")
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
