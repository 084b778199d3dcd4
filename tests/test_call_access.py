"""Whose key a call uses and how many calls a caller may have in flight, decided in process: the HTTP tests
see the same through real sockets, but mutation testing sees only what runs here."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import SecretStr

from hostup_mcp.config import Config
from hostup_mcp.hostup.client import HostUpClient
from hostup_mcp.server import build_server
from hostup_mcp.tools.access import hostup_client
from hostup_mcp.tools.registry import (
    CallLimit,
    ToolRegistry,
    UnusableAnswerError,
    busy,
    caller_of,
    not_run,
    unusable_answer,
)
from tests.fake_hostup import API_KEY, DOCUMENTED_200, EXAMPLE_VPS_ID
from tests.results import problem_of

pytestmark = pytest.mark.anyio

SERVER_KEY = "hu_server_key_0123456789"
USER_KEY = "hu_user_key_9876543210"


def call_context(shared: HostUpClient, authorization: str | None) -> Any:
    headers = {"authorization": authorization} if authorization is not None else {}
    request = SimpleNamespace(headers=headers)
    return SimpleNamespace(request_context=SimpleNamespace(lifespan_context=shared, request=request))


def fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@pytest.fixture
async def shared() -> AsyncIterator[HostUpClient]:
    async with HostUpClient.connect(
        Config(api_key=SecretStr(SERVER_KEY)), transport=httpx.MockTransport(None)
    ) as client:
        yield client


async def test_with_a_server_key_every_call_uses_it_whatever_the_request_sends(shared: HostUpClient):
    config = Config(api_key=SecretStr(SERVER_KEY))

    client = hostup_client(call_context(shared, f"Bearer {USER_KEY}"), config)

    assert client is shared
    assert client.key_fingerprint() == fingerprint(SERVER_KEY)


async def test_in_per_user_mode_a_call_uses_the_key_its_own_request_brings(shared: HostUpClient):
    config = Config(api_key=None, key_source="request")

    client = hostup_client(call_context(shared, f"Bearer {USER_KEY}"), config)

    assert client.key_fingerprint() == fingerprint(USER_KEY)


@pytest.mark.parametrize("authorization", [None, "Basic eA==", "Bearer "])
async def test_in_per_user_mode_a_request_without_a_usable_key_has_none_not_the_servers(
    shared: HostUpClient, authorization: str | None
):
    config = Config(api_key=None, key_source="request")

    assert hostup_client(call_context(shared, authorization), config).key_fingerprint() == ""


def test_a_caller_is_a_digest_of_its_credential_and_no_credential_is_nobody():
    def caller(authorization: str | None) -> str:
        return caller_of(call_context(None, authorization))  # type: ignore[arg-type]

    assert caller(f"Bearer {USER_KEY}") == fingerprint(f"Bearer {USER_KEY}")
    assert caller(f"Bearer {USER_KEY}") != caller(f"Bearer {SERVER_KEY}")
    assert caller(None) == ""
    assert caller_of(SimpleNamespace()) == ""  # stdio: no request at all


def test_a_limit_refuses_at_the_limit_and_each_caller_at_a_quarter_of_it():
    calls = CallLimit(8)
    assert calls.per_caller == 2

    with calls.held("alice"):
        assert not calls.refuses("alice")
        with calls.held("alice"):
            assert calls.refuses("alice")  # alice holds her share
            assert not calls.refuses("bob")
            with calls.held("bob"), calls.held("bob"), calls.held("carol"), calls.held("carol"):
                assert calls.in_flight == 6
                assert not calls.refuses("dave")
                with calls.held("dave"), calls.held("erin"):
                    assert calls.refuses("frank")  # 8 in flight: the limit, for everyone
    assert (calls.in_flight, dict(calls.by_caller)) == (0, {})  # every slot given back


def test_a_small_limit_still_lets_each_caller_have_one_call_and_no_limit_refuses_nothing():
    assert CallLimit(2).per_caller == 1
    assert not CallLimit(2).refuses("alice")
    assert CallLimit(None).per_caller is None
    unlimited = CallLimit(None)
    with unlimited.held("alice"), unlimited.held("alice"):
        assert not unlimited.refuses("alice")


async def test_past_the_limit_a_call_is_answered_busy_in_process_and_logged(caplog: pytest.LogCaptureFixture):
    release = anyio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(200, json=DOCUMENTED_200)

    config = Config(api_key=SecretStr(API_KEY), max_concurrent_calls=1)
    server = build_server(config, transport=httpx.MockTransport(slow))
    arguments = {"vps_id": EXAMPLE_VPS_ID}
    async with Client(server) as client, anyio.create_task_group() as group:
        group.start_soon(client.call_tool, "list_vps_iso_media", arguments)
        await anyio.sleep(0.2)
        with caplog.at_level(logging.WARNING, logger="hostup_mcp.tools.registry"):
            busy = await client.call_tool("list_vps_iso_media", arguments)
        release.set()

    problem = problem_of(busy)
    assert problem["code"] == "busy"
    assert problem["detail"] == (
        "This server is already handling 1 tool calls, 1 of them for this same key (its share); nothing was sent to "
        "HostUp."
    )
    refusals = [record.getMessage() for record in caplog.records if record.name == "hostup_mcp.tools.registry"]
    assert refusals == ["tool list_vps_iso_media refused: 1 calls already in flight"]


def test_a_call_the_sdk_refused_and_an_unusable_answer_are_each_told_for_what_they_are():
    refused = not_run("x" * 400)
    unusable = unusable_answer()

    assert (refused.code, refused.title) == ("tool_not_run", "The tool did not run")
    assert refused.detail == f"The MCP server refused the call before the tool ran ({'x' * 300}…(+100 chars)). " + (
        "Nothing was sent to HostUp."
    )
    assert (unusable.code, unusable.title) == ("unusable_answer", "The answer to the confirmation could not be used")
    assert unusable.detail is not None
    assert unusable.detail.endswith("it was not taken as a yes. Nothing was changed.")


def test_busy_names_this_keys_share_only_when_it_holds_some():
    assert busy(8, 0).title == "The server is busy"
    assert busy(8, 0).detail == "This server is already handling 8 tool calls; nothing was sent to HostUp."
    assert busy(8, 2).detail == (
        "This server is already handling 8 tool calls, 2 of them for this same key (its share); nothing was sent to "
        "HostUp."
    )


def registered(body: Any) -> Any:
    """A tool registered the way every tool of ours is, around `body`."""
    registry = ToolRegistry(Config(api_key=SecretStr(SERVER_KEY)))
    registry.tool(
        name="probe_tool",
        title="Probe",
        description="A tool for the test.",
        annotations=ToolAnnotations(readOnlyHint=True),
    )(body)
    (tool,) = registry.tools
    return tool


async def test_a_call_the_sdk_refuses_before_the_body_ran_is_explained_and_logged(caplog):
    async def body(count: int) -> str:
        raise ToolError("the SDK's own reason")

    result = await registered(body).run({"count": 1}, None)

    assert result.is_error is True
    assert problem_of(result)["code"] == not_run("").code == "tool_not_run"
    assert "the SDK's own reason" in problem_of(result)["detail"]
    assert "tool probe_tool refused by the MCP SDK: " in caplog.text
    assert "the SDK's own reason" in caplog.text


async def test_arguments_the_tool_cannot_take_are_logged_by_name_only(caplog):
    caplog.set_level(logging.INFO, logger="hostup_mcp.tools.registry")

    async def body(count: int) -> str:
        return "never"

    result = await registered(body).run({"count": "many-secret-value"}, None)

    assert result.is_error is True
    assert "tool probe_tool rejected arguments: ['count']" in caplog.text
    assert "many-secret-value" not in caplog.text  # a value may be anything the model was given


async def test_the_answer_to_a_question_that_does_not_fit_is_logged_as_such(caplog):
    caplog.set_level(logging.INFO, logger="hostup_mcp.tools.registry")

    async def body() -> str:
        raise UnusableAnswerError("Resolver 'confirm': not a boolean")

    result = await registered(body).run({}, None)

    assert problem_of(result)["code"] == unusable_answer().code
    assert "tool probe_tool: the answer to its question could not be used" in caplog.text


async def test_one_caller_cannot_take_a_second_slot_through_a_tool_while_another_caller_can():
    registry = ToolRegistry(Config(api_key=SecretStr(SERVER_KEY), max_concurrent_calls=4))  # a quarter: 1 each
    release = anyio.Event()

    async def body() -> str:
        await release.wait()
        return "done"

    registry.tool(name="slow_tool", title="Slow", description="Waits.", annotations=ToolAnnotations(readOnlyHint=True))(
        body
    )
    (tool,) = registry.tools

    def context(key: str) -> Any:
        return SimpleNamespace(request_context=SimpleNamespace(request=SimpleNamespace(headers={"authorization": key})))

    results: dict[str, Any] = {}

    async def call(label: str, key: str) -> None:
        results[label] = await tool.run({}, context(key))

    # A second call that was let in would wait for the release forever: fail at once instead.
    with anyio.fail_after(5):
        await both_callers(call, release)

    assert problem_of(results["alice again"])["code"] == "busy"
    assert results["alice first"] == "done"
    assert results["bob"] == "done"


async def both_callers(call: Any, release: anyio.Event) -> None:
    async with anyio.create_task_group() as group:
        group.start_soon(call, "alice first", "Bearer alice")
        await anyio.wait_all_tasks_blocked()
        await call("alice again", "Bearer alice")
        group.start_soon(call, "bob", "Bearer bob")
        await anyio.wait_all_tasks_blocked()
        release.set()
