"""The scenarios every host and framework is put through, and how a row of the table is judged.

A row says, per column, whether what the host handed the model is enough to act on. With
HOSTUP_MATRIX_DIR set (CI sets it), each row is written there for `python tests/host_matrix.py`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.fake_hostup import EXAMPLE_ISO_ID, EXAMPLE_VPS_ID
from tests.model_stand_in import Conversation, ToolCall, tool_name
from tests.real_hosts import HostRun

OUR_TOOLS = [
    "list_vps",
    "list_vps_iso_media",
    "get_job",
    "mount_vps_iso",
    "unmount_vps_iso",
    "download_vps_iso",
    "delete_vps_iso",
]
DOWNLOAD = {"vps_id": "vps_demoempty", "url": "https://example.com/debian-12.iso", "filename": "debian-12.iso"}

# scenario: (the call, what the model must be able to read in what the host handed it)
SCENARIOS: dict[str, tuple[ToolCall, list[str]]] = {
    "reference example": (
        ToolCall("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID}),
        [EXAMPLE_ISO_ID, "Ubuntu 24.04 LTS", "ide2", "DEMO DATA"],
    ),
    "403 readable": (ToolCall("list_vps_iso_media", {"vps_id": "vps_demoforbidden"}), ["403", "read:vm"]),
    "bad id explained": (
        ToolCall("list_vps_iso_media", {"vps_id": "../etc"}),
        ["is not a public VPS id", "call list_vps"],
    ),
    "IP as id leads to list_vps": (
        ToolCall("list_vps_iso_media", {"vps_id": "192.0.2.10"}),
        ["call list_vps with primary_ip=192.0.2.10"],
    ),
    "delete preview understood": (
        ToolCall("delete_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "volid": EXAMPLE_ISO_ID}),
        ["nothing was deleted", "user"],
    ),
    "closed gate understood": (
        ToolCall("list_vps_iso_media", {"vps_id": "vps_demoblocked"}),
        ["pending_order", "blocked now: do not suggest or try"],
    ),
    "queued download followed": (
        ToolCall("download_vps_iso", DOWNLOAD),
        ["queued", "follow it with get_job(job_id=job_"],
    ),
}
SCRIPT = [call for call, _ in SCENARIOS.values()]


def parameters(declared: dict[str, Any]) -> dict[str, Any]:
    """A tool declaration's argument schema under whichever name this host's API uses."""
    for key in ("input_schema", "parametersJsonSchema", "parameters"):
        if isinstance(declared.get(key), dict):
            return declared[key]
    return {}


def described(prop: dict[str, Any]) -> bool:
    return bool(prop.get("description")) or any(branch.get("description") for branch in prop.get("anyOf", []))


def schema_problems(conversation: Conversation) -> list[str]:
    """Arguments a host lost the description of, or kept a pattern for that it would validate itself."""
    problems = []
    for tool in OUR_TOOLS:
        declared = [d for d in conversation.offered if tool_name(d).endswith(tool) and parameters(d)]
        for declaration in declared[-1:]:
            for name, prop in parameters(declaration).get("properties", {}).items():
                if not described(prop):
                    problems.append(f"{tool}.{name} lost its description")
                if "pattern" in json.dumps(prop):
                    problems.append(f"{tool}.{name} carries a pattern")
    return problems


def row(run: HostRun) -> dict[str, str]:
    """The table row: ✔ or ✘ with the reason, per column."""
    conversation = run.conversation
    offered = {tool for tool in OUR_TOOLS if any(tool_name(d).endswith(tool) for d in conversation.offered)}
    cells = {
        "connects": ok(bool(conversation.requests), f"no model request; exit {run.returncode}: {run.output[-400:]}"),
        "lists": ok({"list_vps", "list_vps_iso_media"} <= offered, f"offered {sorted(offered)}"),
    }
    for number, (scenario, (_, words)) in enumerate(SCENARIOS.items()):
        handed = conversation.handed.get(number)
        missing = [word for word in words if handed is None or word.lower() not in handed.lower()]
        cells[scenario] = ok(not missing, f"missing {missing} in {str(handed)[:300]!r}")
    problems = schema_problems(conversation)
    cells["schema accepted without loss"] = ok(bool(offered) and not problems, "; ".join(problems) or "no tools")
    return cells


def ok(passed: bool, why: str) -> str:
    return "✔" if passed else f"✘ {why}"


def record(client: str, cells: dict[str, str]) -> None:
    folder = os.environ.get("HOSTUP_MATRIX_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{client.replace(' ', '_').replace('/', '_')}.json").write_text(
            json.dumps({"client": client, "cells": cells}, ensure_ascii=False)
        )


def assert_row(client: str, run: HostRun) -> None:
    cells = row(run)
    record(client, cells)
    failed = {column: cell for column, cell in cells.items() if cell != "✔"}
    assert not failed, json.dumps(failed, indent=1, ensure_ascii=False)
