"""Every kind of bad argument, explained field by field in words a model can act on, before anything is sent.

The other clients' suite checks a few of these through real clients; here every kind runs in process, so a
change to the wording rules (or a crash in them) is seen by the tests and by mutation testing alike.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client
from pydantic import SecretStr

from hostup_mcp.config import Config
from hostup_mcp.server import build_server
from hostup_mcp.tools.arguments import describe
from tests.fake_hostup import API_KEY, FakeHostUp
from tests.results import problem_of

pytestmark = pytest.mark.anyio

IP_HELP = "It looks like an IP address: call list_vps with primary_ip=192.0.2.10 to get the VPS id."
MOUNT = {"vps_id": "vps_a", "iso_id": "iso_a"}
DELETE = {"vps_id": "vps_a", "volid": "iso_a"}


@pytest.fixture
async def client(fake: FakeHostUp) -> AsyncIterator[Client]:
    config = Config(api_key=SecretStr(API_KEY), enable_writes=True)
    async with Client(build_server(config, transport=fake.transport())) as connected:
        yield connected


@pytest.mark.parametrize(
    ("tool", "arguments", "pointer", "detail", "code"),
    [
        ("list_vps_iso_media", {}, "/vps_id", "is required", "missing"),
        ("list_vps_iso_media", {"vps_id": 5}, "/vps_id", "must be a string, got 5", "string_type"),
        ("list_vps", {"limit": 500}, "/limit", "must be at most 100, got 500", "less_than_equal"),
        ("list_vps", {"limit": 0}, "/limit", "must be at least 1, got 0", "greater_than_equal"),
        ("list_vps", {"limit": "x"}, "/limit", 'must be a whole number, got "x"', "int_parsing"),
        ("list_vps", {"limit": 1.5}, "/limit", "must be a whole number, got 1.5", "int_from_float"),
        (
            "mount_vps_iso",
            {**MOUNT, "device": "ide9"},
            "/device",
            "must be 'ide0', 'ide1', 'ide2' or 'ide3', got \"ide9\"",
            "literal_error",
        ),
        (
            "delete_vps_iso",
            {**DELETE, "confirm": "true"},
            "/confirm",
            'must be the JSON boolean true or false (not a string or number), got "true"',
            "bool_type",
        ),
    ],
)
async def test_each_kind_of_bad_value_is_told_as_what_it_must_be_and_what_came(
    client: Client, fake: FakeHostUp, tool: str, arguments: dict[str, Any], pointer: str, detail: str, code: str
):
    problem = problem_of(await client.call_tool(tool, arguments))

    assert problem["code"] == "invalid_arguments"
    assert problem["errors"] == [{"pointer": pointer, "detail": detail, "code": code}]
    assert problem["detail"] == "Nothing was sent to HostUp."
    assert fake.requests == []


async def test_a_misspelled_argument_is_named_with_the_ones_the_tool_takes(client: Client, fake: FakeHostUp):
    problem = problem_of(await client.call_tool("list_vps_iso_media", {"vpsid": "vps_a"}))

    assert problem["errors"] == [
        {"pointer": "/vps_id", "detail": "is required", "code": "missing"},
        {
            "pointer": "/vpsid",
            "detail": "list_vps_iso_media takes no argument named vpsid; it takes: vps_id",
            "code": "unknown_argument",
        },
    ]
    assert fake.requests == []


async def test_one_of_our_own_checks_alone_keeps_its_code_so_the_next_step_can_be_specific(client: Client):
    problem = problem_of(await client.call_tool("list_vps_iso_media", {"vps_id": "192.0.2.10"}))

    assert problem["code"] == "invalid_vps_id"
    [error] = problem["errors"]
    assert error["pointer"] == "/vps_id"
    assert error["code"] == "invalid_vps_id"
    assert error["detail"].startswith('"192.0.2.10" is not a public VPS id.')
    assert IP_HELP in error["detail"]


async def test_two_failed_arguments_are_both_told_under_the_general_code(client: Client):
    problem = problem_of(await client.call_tool("list_vps", {"primary_ip": "not-an-ip", "limit": 0}))

    assert problem["code"] == "invalid_arguments"
    assert [error["pointer"] for error in problem["errors"]] == ["/primary_ip", "/limit"]
    assert [error["code"] for error in problem["errors"]] == ["invalid_ip", "greater_than_equal"]


@pytest.mark.parametrize(
    ("tool", "arguments", "starts"),
    [
        ("list_vps_iso_media", {"vps_id": "web-1"}, '"web-1" is not a public VPS id.'),
        ("mount_vps_iso", {"vps_id": "vps_a", "iso_id": "ubuntu"}, '"ubuntu" is not an ISO id.'),
        ("get_job", {"job_id": "job 1"}, '"job 1" is not a job id.'),
        ("list_vps", {"primary_ip": "300.1.1.1"}, '"300.1.1.1" '),
        ("list_vps", {"cursor": "\ud800"}, '"\\ud800" holds a lone surrogate'),
        ("download_vps_iso", {"vps_id": "vps_a", "url": "ftp://x", "filename": "a.iso"}, '"ftp://x" '),
        ("download_vps_iso", {"vps_id": "vps_a", "url": "https://e.example/a.iso", "filename": ".."}, '".." cannot be'),
        ("delete_vps_iso", {**DELETE, "chat_confirmation": "yes"}, '"yes" is not a chat confirmation.'),
    ],
)
async def test_each_own_check_names_the_value_it_refused(client: Client, tool: str, arguments: dict, starts: str):
    [error] = problem_of(await client.call_tool(tool, arguments))["errors"]

    assert error["detail"].startswith(starts)


@pytest.mark.parametrize(
    ("value", "described"),
    [
        ("", "an empty string"),
        ("   ", "only whitespace"),
        ("växel", '"växel"'),  # as sent, not as \u escapes
        ("x" * 100, '"' + "x" * 59 + "…(+42 chars)"),
        (5, "5"),
    ],
)
def test_a_refused_value_is_shown_as_sent_and_cut_short(value: object, described: str):
    assert describe(value) == described


async def test_a_long_unknown_argument_name_is_cut_short_in_pointer_and_words(client: Client):
    problem = problem_of(await client.call_tool("list_vps_iso_media", {"x" * 100: 1}))

    cut = "x" * 60 + "…(+40 chars)"
    assert problem["title"] == "Invalid arguments for list_vps_iso_media"
    assert problem["errors"][1] == {
        "pointer": f"/{cut}",
        "detail": f"list_vps_iso_media takes no argument named {cut}; it takes: vps_id",
        "code": "unknown_argument",
    }
