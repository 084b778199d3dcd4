"""The generic alternative: fastmcp's FastMCP.from_openapi over the reference's one endpoint.

The OpenAPI document below is written from the reference page of GET /api/v2/vps/{id}/iso, as a
user wiring up a generic bridge would. Configured like hostup-mcp: HOSTUP_BASE_URL, HOSTUP_API_KEY.
Over stdio by default; `python benchmarks/bridge_server.py --http PORT` serves stateless Streamable HTTP with
JSON answers instead, as hostup-mcp's remote server does.
"""

from __future__ import annotations

import os
import sys

import httpx2
from fastmcp import FastMCP

NULLABLE_STRING = {"type": ["string", "null"]}
GATE = {
    "type": "object",
    "required": ["allowed", "reason"],
    "properties": {"allowed": {"type": "boolean"}, "reason": NULLABLE_STRING, "code": NULLABLE_STRING},
}
OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "HostUp API (ISO media)", "version": "2"},
    "servers": [{"url": "https://cloud.hostup.se"}],
    "paths": {
        "/api/v2/vps/{id}/iso": {
            "get": {
                "operationId": "list_vps_iso_media",
                "summary": "List VPS ISO media",
                "description": (
                    "Return ISO images available to the VPS, mounted CD/DVD devices, boot-order state, usable "
                    "CD/DVD slots, and mount/upload gates. Get {id} from GET /api/v2/vps data[].id. Use "
                    "available[].id as isoId for mounting and mounted[].isoId or available[].id as {volid} when "
                    "deleting owned ISO media."
                ),
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "description": "Public VPS ID from GET /api/v2/vps data[].id. Do not invent this value.",
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "VPS ISO media state.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["available", "mounted", "bootOrder", "availableDevices", "actions"],
                                    "properties": {
                                        "available": {"type": "array", "items": {"type": "object"}},
                                        "mounted": {"type": "array", "items": {"type": "object"}},
                                        "bootOrder": {"type": ["object", "null"]},
                                        "availableDevices": {"type": "array", "items": {"type": "object"}},
                                        "actions": {
                                            "type": "object",
                                            "properties": {"canMount": GATE, "canUpload": GATE},
                                        },
                                    },
                                }
                            }
                        },
                    }
                },
            }
        }
    },
}


def main() -> None:
    client = httpx2.AsyncClient(
        base_url=os.environ.get("HOSTUP_BASE_URL", "https://cloud.hostup.se"),
        headers={"Authorization": f"Bearer {os.environ.get('HOSTUP_API_KEY', '')}", "Accept": "application/json"},
        timeout=20.0,
    )
    bridge = FastMCP.from_openapi(openapi_spec=OPENAPI, client=client, name="hostup-openapi-bridge")
    if "--http" in sys.argv:
        import uvicorn

        app = bridge.http_app(stateless_http=True, json_response=True)
        port = int(sys.argv[sys.argv.index("--http") + 1])
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    else:
        bridge.run()


if __name__ == "__main__":
    main()
