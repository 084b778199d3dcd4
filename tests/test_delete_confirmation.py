"""A delete form that nobody answers cannot hang the call, and the user's yes in chat can still delete.

Claude Desktop's agent is reported to advertise elicitation and never show the form; the host then gives
up after 60 s. Here a form gets HOSTUP_CONFIRM_TIMEOUT to be answered; after that nothing is deleted and
the result carries a chat confirmation for that one ISO, which with confirm=true deletes without a form.
"""

from __future__ import annotations

import copy
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import ElicitResult, ErrorData
from pydantic import SecretStr

from hostup_mcp.config import Config, HttpSettings
from hostup_mcp.http import state_security
from hostup_mcp.server import QUESTION_SECONDS, build_server
from hostup_mcp.tools.tickets import ChatConfirmations
from tests.conftest import FAST_RETRY
from tests.fake_hostup import API_KEY, EXAMPLE_ISO_ID, EXAMPLE_VPS_ID, FakeHostUp
from tests.results import guidance_of, problem_of

pytestmark = pytest.mark.anyio

BOUND_SECONDS = 0.3
DELETE = {"vps_id": EXAMPLE_VPS_ID, "volid": EXAMPLE_ISO_ID}


class Host:
    """A client that advertises forms; `never` leaves every form unanswered, like a host that never shows it."""

    def __init__(self, action: str = "never") -> None:
        self.action = action
        self.asked = 0

    async def answer(self, context: Any, params: Any) -> ElicitResult:
        self.asked += 1
        if self.action == "never":
            await anyio.sleep_forever()
        return ElicitResult(action=self.action)  # type: ignore[arg-type]


@pytest.fixture
async def silent(fake: FakeHostUp) -> AsyncIterator[tuple[Client, Host]]:
    host = Host()
    async with connected(fake, host) as client:
        yield client, host


def connected(fake: FakeHostUp, host: Host, key: str = API_KEY) -> Client:
    config = Config(
        api_key=SecretStr(key), timeout_seconds=2.0, enable_writes=True, confirm_timeout_seconds=BOUND_SECONDS
    )
    server = build_server(config, transport=fake.transport(), retry=FAST_RETRY)
    # The handshake era: the server sends elicitation/create and waits for the host's reply.
    return Client(server, mode="legacy", elicitation_callback=host.answer)


def deletes(fake: FakeHostUp) -> int:
    return sum(request.method == "DELETE" for request in fake.requests)


async def test_a_form_nobody_answers_ends_the_call_within_the_bound_and_deletes_nothing(silent, fake: FakeHostUp):
    client, host = silent
    started = time.monotonic()
    result = await client.call_tool("delete_vps_iso", DELETE)
    took = time.monotonic() - started

    assert host.asked == 1
    assert BOUND_SECONDS <= took < BOUND_SECONDS + 1.5
    assert result.is_error is False
    assert result.structured_content["deleted"] is False
    assert deletes(fake) == 0
    ticket = result.structured_content["chatConfirmation"]
    guidance = guidance_of(result)
    assert guidance["summary"].startswith("Nothing was deleted: the confirmation form got no answer within 0.3 s")
    assert "Ask the user in the chat whether to delete it" in guidance["nextStep"]
    assert f"confirm=true and chat_confirmation={ticket}" in guidance["nextStep"]
    assert result.content[0].text.endswith(guidance["nextStep"])  # the text says the same


async def test_after_an_unanswered_form_the_users_yes_in_chat_deletes_without_a_second_form(silent, fake):
    client, host = silent
    ticket = (await client.call_tool("delete_vps_iso", DELETE)).structured_content["chatConfirmation"]

    result = await client.call_tool("delete_vps_iso", DELETE | {"confirm": True, "chat_confirmation": ticket})

    assert host.asked == 1
    assert result.structured_content["deleted"] is True
    assert "chatConfirmation" not in result.structured_content
    assert deletes(fake) == 1


async def test_a_chat_confirmation_without_confirm_true_asks_the_form_again(silent, fake: FakeHostUp):
    client, host = silent
    ticket = (await client.call_tool("delete_vps_iso", DELETE)).structured_content["chatConfirmation"]

    result = await client.call_tool("delete_vps_iso", DELETE | {"chat_confirmation": ticket})

    assert host.asked == 2
    assert result.structured_content["deleted"] is False
    assert deletes(fake) == 0


async def test_a_chat_confirmation_from_another_key_or_iso_deletes_nothing(fake: FakeHostUp):
    host = Host()
    async with connected(fake, host) as client:
        ticket = (await client.call_tool("delete_vps_iso", DELETE)).structured_content["chatConfirmation"]
    other = {"vps_id": "vps_other1", "volid": EXAMPLE_ISO_ID}
    fake.sandbox.iso_media["vps_other1"] = copy.deepcopy(fake.sandbox.iso_media[EXAMPLE_VPS_ID])

    async with connected(fake, host) as client:  # the same key, another server process: its secret differs
        again = await client.call_tool("delete_vps_iso", DELETE | {"confirm": True, "chat_confirmation": ticket})
    async with connected(fake, host) as client:
        first = (await client.call_tool("delete_vps_iso", DELETE)).structured_content["chatConfirmation"]
        elsewhere = await client.call_tool("delete_vps_iso", other | {"confirm": True, "chat_confirmation": first})

    assert again.structured_content["deleted"] is False
    assert elsewhere.structured_content["deleted"] is False
    assert host.asked == 4  # every one of them showed the form again
    assert deletes(fake) == 0


async def test_a_declined_form_gives_no_chat_confirmation(fake: FakeHostUp):
    host = Host("decline")
    async with connected(fake, host) as client:
        result = await client.call_tool("delete_vps_iso", DELETE)

    assert host.asked == 1
    assert result.structured_content["deleted"] is False
    assert "chatConfirmation" not in result.structured_content
    assert "chat_confirmation" not in result.content[0].text
    assert "Do not call delete_vps_iso for this ISO again unless the user asks." in result.content[0].text


async def test_a_dismissed_form_is_not_a_no_the_user_is_asked_in_chat(fake: FakeHostUp):
    host = Host("cancel")  # what headless Claude Code answers to every form, at once
    async with connected(fake, host) as client:
        dismissed = await client.call_tool("delete_vps_iso", DELETE)
        ticket = dismissed.structured_content["chatConfirmation"]
        result = await client.call_tool("delete_vps_iso", DELETE | {"confirm": True, "chat_confirmation": ticket})

    assert "the confirmation form was dismissed without an answer" in guidance_of(dismissed)["summary"]
    assert "Ask the user in the chat" in guidance_of(dismissed)["nextStep"]
    assert host.asked == 1
    assert result.structured_content["deleted"] is True
    assert deletes(fake) == 1


async def test_a_made_up_chat_confirmation_is_explained_and_sends_nothing(silent, fake: FakeHostUp):
    client, host = silent
    result = await client.call_tool("delete_vps_iso", DELETE | {"confirm": True, "chat_confirmation": "yes"})

    assert problem_of(result)["code"] == "invalid_chat_confirmation"
    assert host.asked == 0
    assert fake.requests == []


def test_a_chat_confirmation_names_one_key_vps_and_iso_and_expires():
    now = [1_000_000.0]
    chats = ChatConfirmations(lifetime_seconds=600, secret=b"s" * 32, clock=lambda: now[0])
    ticket = chats.issue("key-a", "vps_1", "iso_1")

    assert chats.accepts(ticket, "key-a", "vps_1", "iso_1")
    assert not chats.accepts(ticket, "key-b", "vps_1", "iso_1")
    assert not chats.accepts(ticket, "key-a", "vps_2", "iso_1")
    assert not chats.accepts(ticket, "key-a", "vps_1", "iso_2")
    assert not chats.accepts(ticket.replace(ticket[5:15], str(int(now[0]) + 10**6)), "key-a", "vps_1", "iso_1")
    now[0] += 599
    assert chats.accepts(ticket, "key-a", "vps_1", "iso_1")
    now[0] += 1
    assert not chats.accepts(ticket, "key-a", "vps_1", "iso_1")


async def test_one_chat_confirmation_deletes_once(silent, fake: FakeHostUp):
    client, host = silent
    ticket = (await client.call_tool("delete_vps_iso", DELETE)).structured_content["chatConfirmation"]
    fake.sandbox.iso_media["vps_again1"] = copy.deepcopy(fake.sandbox.iso_media[EXAMPLE_VPS_ID])
    first = await client.call_tool("delete_vps_iso", DELETE | {"confirm": True, "chat_confirmation": ticket})
    fake.sandbox.iso_media[EXAMPLE_VPS_ID] = copy.deepcopy(fake.sandbox.iso_media["vps_again1"])  # it is back
    replayed = await client.call_tool("delete_vps_iso", DELETE | {"confirm": True, "chat_confirmation": ticket})

    assert first.structured_content["deleted"] is True
    assert replayed.structured_content["deleted"] is False  # the form was shown again, and got no answer
    assert host.asked == 2
    assert deletes(fake) == 1


def test_a_sealed_question_stays_good_for_two_minutes_not_ten():
    assert state_security(Config(api_key=None), HttpSettings()).ttl == QUESTION_SECONDS == 120


def test_the_bound_is_a_setting_well_under_the_hosts_60_seconds():
    assert Config.from_env({}).confirm_timeout_seconds == 30
    assert Config.from_env({"HOSTUP_CONFIRM_TIMEOUT": "5"}).confirm_timeout_seconds == 5


async def test_a_client_whose_form_fails_is_asked_in_chat_not_answered_with_a_protocol_error(fake: FakeHostUp):
    async def failing(context: Any, params: Any) -> ErrorData:
        return ErrorData(code=-32603, message="this host shows no forms")

    config = Config(api_key=SecretStr(API_KEY), timeout_seconds=2, enable_writes=True)
    server = build_server(config, transport=fake.transport(), retry=FAST_RETRY)
    async with Client(server, mode="legacy", elicitation_callback=failing) as client:
        result = await client.call_tool("delete_vps_iso", DELETE)

    assert result.is_error is False
    assert (
        "could not be shown: the client answered it with an error (this host shows no forms)" in result.content[0].text
    )
    assert result.structured_content["chatConfirmation"].startswith("chat_")
    assert deletes(fake) == 0


def test_a_tool_error_from_elsewhere_is_not_called_an_unusable_answer():
    from mcp.server.mcpserver.exceptions import ToolError

    from hostup_mcp.tools.registry import UnusableAnswerError, about_the_answer

    assert about_the_answer(UnusableAnswerError("x"))
    assert about_the_answer(ToolError("Resolver 'ask_to_delete': received an invalid elicitation response"))
    assert about_the_answer(ToolError("Error executing tool delete_vps_iso: Resolver 'x' received no content"))
    assert not about_the_answer(ToolError("Unknown tool: delete_vps_iso"))
    assert not about_the_answer(ToolError("Error executing tool delete_vps_iso: a Resolver was not involved"))
