"""The write tools' less travelled paths: HostUp failing part-way, a key that cannot read, a question that
could not be asked, another ISO in a slot, and an older client over stateless HTTP. Each is a decision about
a customer's data that once changed without any test noticing."""

from __future__ import annotations

import copy
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import (
    ClientCapabilities,
    ElicitationCapability,
    ElicitResult,
    FormElicitationCapability,
    UrlElicitationCapability,
)
from pydantic import SecretStr

from hostup_mcp.config import Config, HttpSettings
from hostup_mcp.hostup.sandbox import problem_response
from hostup_mcp.http import build_app
from hostup_mcp.server import build_server
from hostup_mcp.tools.deletion import can_ask
from tests.conftest import FAST_RETRY
from tests.fake_hostup import API_KEY, DOCUMENTED_200, EXAMPLE_ISO_ID, EXAMPLE_VPS_ID, FakeHostUp
from tests.results import guidance_of, problem_of

pytestmark = pytest.mark.anyio

DELETE = {"vps_id": EXAMPLE_VPS_ID, "volid": EXAMPLE_ISO_ID}
OTHER_ISO_ID = "iso_01hxa3b4c5d6e7f8g9h0j1k2zz"
ISO_PATH = f"/api/v2/vps/{EXAMPLE_VPS_ID}/iso"


class Scripted:
    """The fake HostUp, except that the next requests of a kind ("GET" for the ISO state, "DELETE", "POST")
    get the answers queued for it, in turn."""

    def __init__(self, **answers: list[httpx.Response]) -> None:
        self.fake = FakeHostUp()
        self.answers = answers

    async def handle(self, request: httpx.Request) -> httpx.Response:
        queued = self.answers.get(request.method, [])
        if queued and (request.method != "GET" or request.url.path == ISO_PATH):
            self.fake.requests.append(request)
            return queued.pop(0)
        return await self.fake.handle(request)

    def sent(self, method: str) -> int:
        return sum(request.method == method for request in self.fake.requests)


def connected(hostup: Scripted, ask: Callable[..., Any] | None = None) -> Client:
    """A client that cannot ask the user (confirm=true decides) or, with `ask`, one that can."""
    config = Config(api_key=SecretStr(API_KEY), timeout_seconds=2.0, enable_writes=True)
    server = build_server(config, transport=httpx.MockTransport(hostup.handle), retry=FAST_RETRY)
    return Client(server, mode="legacy", elicitation_callback=ask)


def state_with_two_isos() -> dict[str, Any]:
    """ide2 holds the documented ISO; a second one is in the library, mounted nowhere."""
    state = copy.deepcopy(DOCUMENTED_200)
    state["available"].append({**state["available"][0], "id": OTHER_ISO_ID, "name": "debian-12.iso"})
    return state


async def test_a_delete_hostup_refuses_is_reported_as_hostups_refusal_and_claims_nothing():
    refused = problem_response(409, f"{ISO_PATH}/{EXAMPLE_ISO_ID}", code="iso_in_use", detail="The ISO is in use.")
    hostup = Scripted(DELETE=[refused])
    async with connected(hostup) as client:
        result = await client.call_tool("delete_vps_iso", {**DELETE, "confirm": True})

    problem = problem_of(result)
    assert (problem["status"], problem["code"]) == (409, "iso_in_use")
    assert hostup.sent("DELETE") == 1
    assert "Deleted" not in result.content[0].text  # type: ignore[union-attr]


async def test_a_failed_read_before_a_delete_stops_it_before_anything_is_sent():
    hostup = Scripted(GET=[problem_response(404, ISO_PATH)])
    async with connected(hostup) as client:
        result = await client.call_tool("delete_vps_iso", {**DELETE, "confirm": True})

    assert problem_of(result)["status"] == 404
    assert hostup.sent("DELETE") == 0


async def test_a_key_that_cannot_read_previews_an_unknown_iso_and_never_says_deleted():
    hostup = Scripted(GET=[problem_response(403, ISO_PATH)])
    async with connected(hostup) as client:
        result = await client.call_tool("delete_vps_iso", DELETE)

    structured = result.structured_content
    assert result.is_error is not True
    assert structured is not None
    assert (structured["deleted"], structured["iso"], structured["mountedIn"]) == (False, None, None)
    assert guidance_of(result)["summary"].startswith("PREVIEW — nothing was deleted.")
    assert "Whether it is mounted could not be read." in guidance_of(result)["summary"]
    assert hostup.sent("DELETE") == 0


async def test_when_the_question_could_not_be_built_nothing_is_deleted_even_once_hostup_recovers():
    """The resolver's read fails (so nobody is asked), the body's read a moment later succeeds: that is
    still no yes."""
    asked: list[str] = []

    async def yes(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})

    hostup = Scripted(GET=[problem_response(404, ISO_PATH)])
    async with connected(hostup, yes) as client:
        result = await client.call_tool("delete_vps_iso", {**DELETE, "confirm": True})

    assert asked == []
    assert hostup.sent("DELETE") == 0
    assert result.structured_content is not None
    assert result.structured_content["deleted"] is False
    assert guidance_of(result)["summary"] == (
        "Nothing was deleted: the user could not be asked just now. Call again to ask them."
    )


async def test_mounting_an_iso_while_another_one_is_in_a_slot_is_sent_to_hostup():
    mounted = httpx.Response(200, json={"device": "ide3", "isoId": OTHER_ISO_ID})
    hostup = Scripted(GET=[httpx.Response(200, json=state_with_two_isos())], POST=[mounted])
    async with connected(hostup) as client:
        result = await client.call_tool("mount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "iso_id": OTHER_ISO_ID})

    assert result.is_error is not True
    assert hostup.sent("POST") == 1
    assert "already mounted" not in guidance_of(result)["summary"]


async def test_mounting_an_iso_in_a_second_slot_is_sent_even_though_it_is_in_another():
    hostup = Scripted()
    async with connected(hostup) as client:
        result = await client.call_tool(
            "mount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "iso_id": EXAMPLE_ISO_ID, "device": "ide3"}
        )

    assert result.is_error is not True
    assert hostup.sent("POST") == 1


async def test_an_older_client_over_stateless_http_gets_a_preview_not_a_question_it_could_not_answer():
    """Before 2026-07-28 a question is a server-to-client request, which stateless HTTP cannot carry: a client
    that advertises forms must get the preview (and confirm=true), not a form that can never arrive."""
    hostup = Scripted()
    asked: list[str] = []

    async def yes(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})

    config = Config(api_key=None, key_source="request", enable_writes=True, timeout_seconds=2.0)
    gate = build_app(config, HttpSettings(), transport=httpx.MockTransport(hostup.handle))
    inner = gate.app  # type: ignore[attr-defined]  # the SDK's Starlette app, whose lifespan runs its sessions
    async with (
        inner.router.lifespan_context(inner),
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=gate), headers={"authorization": f"Bearer {API_KEY}"}
        ) as http,
        Client(
            streamable_http_client("http://127.0.0.1:8000/mcp", http_client=http),
            mode="legacy",
            elicitation_callback=yes,
        ) as client,
    ):
        preview = await client.call_tool("delete_vps_iso", DELETE)
        confirmed = await client.call_tool("delete_vps_iso", {**DELETE, "confirm": True})

    assert asked == []
    assert preview.structured_content is not None
    assert preview.structured_content["deleted"] is False
    assert guidance_of(preview)["summary"].startswith("PREVIEW — nothing was deleted.")
    assert confirmed.structured_content is not None
    assert confirmed.structured_content["deleted"] is True
    assert hostup.sent("DELETE") == 1


def context(elicitation: ElicitationCapability | None, version: str, can_send_request: bool) -> Any:
    """What can_ask reads of a call's context, and nothing else."""
    capabilities = ClientCapabilities(elicitation=elicitation)
    session = SimpleNamespace(can_send_request=can_send_request)
    return SimpleNamespace(client_capabilities=capabilities, protocol_version=version, session=session)


FORMS = ElicitationCapability(form=FormElicitationCapability())
BARE = ElicitationCapability()  # `elicitation: {}`, which means forms
URL_ONLY = ElicitationCapability(url=UrlElicitationCapability())


@pytest.mark.parametrize(
    ("elicitation", "version", "can_send_request", "asks"),
    [
        (FORMS, "2025-11-25", True, True),  # the handshake era over stdio: the server can send the request
        (BARE, "2025-11-25", True, True),
        (FORMS, "2025-11-25", False, False),  # the handshake era over stateless HTTP: no channel back
        (FORMS, "2026-07-28", False, True),  # the question rides in the result
        (URL_ONLY, "2026-07-28", True, False),  # a client that takes only URL elicitation shows no form
        (None, "2026-07-28", True, False),
    ],
)
def test_a_form_is_asked_only_of_a_client_that_takes_forms_over_a_connection_that_can_carry_one(
    elicitation: ElicitationCapability | None, version: str, can_send_request: bool, asks: bool
):
    assert can_ask(context(elicitation, version, can_send_request)) is asks


# Each write tool's own words when HostUp refuses or fails it: what it was doing, on which VPS, and what to check.
WRITES = {
    "mount_vps_iso": (
        {"vps_id": EXAMPLE_VPS_ID, "iso_id": EXAMPLE_ISO_ID, "device": "ide3"},
        "POST",
        "mount",
        "no such VPS or ISO: check vps_id with list_vps and iso_id with list_vps_iso_media.",
    ),
    "unmount_vps_iso": ({"vps_id": EXAMPLE_VPS_ID}, "POST", "unmount", "no such VPS: check vps_id with list_vps."),
    "download_vps_iso": (
        {"vps_id": EXAMPLE_VPS_ID, "url": "https://releases.example.com/debian-12.iso", "filename": "debian-12.iso"},
        "POST",
        "download",
        "no such VPS: check vps_id with list_vps.",
    ),
    "delete_vps_iso": (
        {**DELETE, "confirm": True},
        "DELETE",
        "deletion",
        "no such VPS or ISO: check ids with list_vps and list_vps_iso_media.",
    ),
}


async def write_refused(tool: str, status: int) -> tuple[Any, Scripted]:
    """`tool` called with its arguments, HostUp answering its write with a `status` problem."""
    arguments, method, _, _ = WRITES[tool]
    hostup = Scripted(**{method: [problem_response(status, ISO_PATH)]})
    async with connected(hostup) as client:
        return await client.call_tool(tool, arguments), hostup


@pytest.mark.parametrize("tool", list(WRITES))
async def test_a_write_hostup_does_not_find_says_what_to_check_for_that_tool(tool: str):
    not_found = WRITES[tool][3]

    result, _ = await write_refused(tool, 404)

    assert problem_of(result)["status"] == 404
    assert result.content[0].text.endswith(f"Next step: {not_found}")


@pytest.mark.parametrize("tool", list(WRITES))
async def test_a_write_hostup_fails_after_receiving_names_what_may_have_happened(tool: str):
    _, method, action, _ = WRITES[tool]

    result, hostup = await write_refused(tool, 502)

    assert f"HostUp may or may not have carried out the {action}, so it was not repeated" in result.content[0].text
    assert hostup.sent(method) == 1


@pytest.mark.parametrize("tool", list(WRITES))
async def test_a_write_the_key_may_not_make_names_the_vps_and_the_scopes(tool: str):
    result, _ = await write_refused(tool, 403)

    assert f"or {EXAMPLE_VPS_ID} is not on this key's account" in result.content[0].text
    assert "write:vm" in result.content[0].text


@pytest.mark.parametrize(
    ("reason", "code", "says"),
    [
        ("pending_order", "ORDER_PENDING", "HostUp's canMount gate is closed: pending_order (code ORDER_PENDING)."),
        (None, None, "HostUp's canMount gate is closed: no reason given."),
    ],
)
async def test_a_closed_gate_is_explained_in_hostups_words_and_nothing_is_sent(
    reason: str | None, code: str | None, says: str
):
    state = copy.deepcopy(DOCUMENTED_200)
    state["actions"]["canMount"] = {"allowed": False, "reason": reason, "code": code}
    hostup = Scripted(GET=[httpx.Response(200, json=state)])

    async with connected(hostup) as client:
        result = await client.call_tool("mount_vps_iso", WRITES["mount_vps_iso"][0])

    problem = problem_of(result)
    assert problem["title"] == "Mounting is blocked right now"
    assert problem["detail"] == f"{says} Nothing was sent."
    assert (problem["gate"], problem.get("gateReason"), problem.get("gateCode")) == ("canMount", reason, code)
    assert hostup.sent("POST") == 0


async def test_an_unknown_iso_is_named_with_the_first_ten_the_vps_has():
    state = copy.deepcopy(DOCUMENTED_200)
    template = state["available"][0]
    state["available"] = [{**template, "id": f"iso_{index:02d}", "name": f"{index}.iso"} for index in range(12)]
    hostup = Scripted(GET=[httpx.Response(200, json=state)])
    arguments = {**WRITES["mount_vps_iso"][0], "iso_id": "iso_missing"}

    async with connected(hostup) as client:
        result = await client.call_tool("mount_vps_iso", arguments)

    problem = problem_of(result)
    known = ", ".join(f"iso_{index:02d}" for index in range(10))
    assert problem["title"] == "No such ISO on this VPS"
    assert problem["detail"] == f"iso_missing is not among this VPS's available ISOs ({known}). Nothing was sent."
    assert hostup.sent("POST") == 0
