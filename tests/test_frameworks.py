"""The agent frameworks people build on, against the installed server: what each hands its model, and how
the official model SDKs convert our argument schemas.

The frameworks need the v1 MCP SDK, so they live in a venv of their own (tests/frameworks/requirements.txt,
installed by .ci/run as .venv-frameworks); tests/frameworks/round_trip.py runs there.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.host_scenarios import OUR_TOOLS, SCRIPT, assert_row, described
from tests.model_stand_in import Conversation, model_stand_in
from tests.other_clients import require
from tests.real_hosts import HostRun
from tests.stdio_session import console_script

ROOT = Path(__file__).resolve().parent.parent
ROUND_TRIP = Path(__file__).resolve().parent / "frameworks" / "round_trip.py"
SERVER = ["--demo", "--enable-writes"]
TIMEOUT_SECONDS = 180


def frameworks_python() -> str:
    python = os.environ.get("HOSTUP_FRAMEWORKS_PYTHON") or str(ROOT / ".venv-frameworks" / "bin" / "python")
    require(
        "the frameworks' venv",
        Path(python).exists(),
        "python -m venv .venv-frameworks && .venv-frameworks/bin/pip install -r tests/frameworks/requirements.txt",
    )
    return python


def round_trip(mode: str, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script = json.dumps([{"tool": call.tool, "arguments": call.arguments} for call in SCRIPT])
    argv = [frameworks_python(), str(ROUND_TRIP), mode, script, console_script(), *SERVER, *extra]
    base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(argv, env=base | (env or {}), capture_output=True, text=True, timeout=TIMEOUT_SECONDS)


@pytest.mark.parametrize("structured", [False, True], ids=["default", "use_structured_content"])
def test_openai_agents_hands_its_model_enough_to_act_on(structured: bool):
    with model_stand_in(SCRIPT) as (url, conversation):
        done = round_trip(
            "openai-agents",
            *(["--structured"] if structured else []),
            env={"OPENAI_BASE_URL": f"{url}/v1", "OPENAI_API_KEY": "stand-in-key"},
        )
    name = "openai-agents" + (" (use_structured_content)" if structured else "")
    assert_row(name, HostRun(conversation, done.returncode, done.stdout + done.stderr))


def test_langchain_mcp_adapters_hands_its_model_enough_to_act_on():
    done = round_trip("langchain")
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    conversation = Conversation(script=SCRIPT, offered=output["offered"], requests=[{"path": "(in process)"}])
    conversation.handed = {number: item["text"] for number, item in enumerate(output["handed"])}

    assert_row("langchain-mcp-adapters", HostRun(conversation, done.returncode, done.stderr))


@pytest.fixture(scope="module")
def converted() -> dict[str, Any]:
    done = round_trip("converters")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def properties(schema: dict[str, Any]) -> dict[str, Any]:
    return schema.get("properties", {})


@pytest.mark.parametrize("sdk", ["openai-strict", "anthropic", "gemini"])
def test_every_argument_schema_converts_without_losing_a_description(converted: dict[str, Any], sdk: str):
    assert sorted(converted) == sorted(OUR_TOOLS)
    for tool, entry in converted.items():
        result = entry[sdk]
        assert "error" not in result, f"{sdk} refused {tool}: {result}"
        for name in properties(entry["original"]):
            assert described(properties(result)[name]), f"{sdk} lost the description of {tool}.{name}"


def test_openai_strict_mode_keeps_optional_arguments_optional(converted: dict[str, Any]):
    """Strict mode makes every property required; an optional one stays optional only if it admits null."""
    for tool, entry in converted.items():
        required = set(entry["original"].get("required", []))
        for name, prop in properties(entry["openai-strict"]).items():
            if name not in required and "default" not in entry["original"]["properties"][name]:
                assert {"type": "null"} in prop.get("anyOf", []), f"{tool}.{name} became mandatory"


def test_gemini_keeps_optional_arguments_nullable(converted: dict[str, Any]):
    for tool, entry in converted.items():
        required = set(entry["original"].get("required", []))
        for name, prop in properties(entry["gemini"]).items():
            if name not in required and "default" not in entry["original"]["properties"][name]:
                assert prop.get("nullable") is True, f"{tool}.{name}: {prop}"
