"""`hostup-mcp --demo` over real stdio: every sandbox id, with its data or its explained error."""

from __future__ import annotations

import pytest
from mcp import Client, StdioServerParameters

from hostup_mcp.hostup.sandbox import BLOCKED_ISO_MEDIA, DOCUMENTED_ISO_MEDIA, EMPTY_ISO_MEDIA, EXAMPLE_VPS_ID
from tests.results import hostup_document, problem_of
from tests.stdio_session import console_script

pytestmark = pytest.mark.anyio

DATA = {EXAMPLE_VPS_ID: DOCUMENTED_ISO_MEDIA, "vps_demoblocked": BLOCKED_ISO_MEDIA, "vps_demoempty": EMPTY_ISO_MEDIA}
ERRORS = {
    "vps_demoforbidden": (403, "lacks the read:vm scope"),
    "vps_demomissing": (404, "call list_vps to get valid VPS ids"),
    "vps_demoratelimited": (429, "wait 30 s"),
    "vps_demobroken": (500, "HostUp-side failure"),
}


async def test_demo_serves_every_sandbox_id_marked_as_demo_data():
    # No key, no base URL: the demo must work on a machine that has neither.
    params = StdioServerParameters(command=console_script(), args=["--demo"], env={})
    async with Client(params) as client:
        results = {vps_id: await client.call_tool("list_vps_iso_media", {"vps_id": vps_id}) for vps_id in DATA | ERRORS}
        instructions = client.instructions

    for vps_id, expected in DATA.items():
        result = results[vps_id]
        assert result.is_error is False, vps_id
        assert hostup_document(result) == {**expected, "demo": True}
        assert result.content[0].text.startswith("DEMO DATA from the hostup-mcp sandbox")
    for vps_id, (status, next_step) in ERRORS.items():
        result = results[vps_id]
        assert result.is_error is True, vps_id
        assert problem_of(result)["status"] == status
        assert problem_of(result)["demo"] is True
        assert result.content[0].text.startswith("DEMO DATA")
        assert next_step in result.content[0].text
    assert "pending_order" in results["vps_demoblocked"].content[0].text
    assert instructions is not None
    assert instructions.startswith("DEMO DATA")
