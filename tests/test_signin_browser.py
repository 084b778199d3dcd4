"""The sign-in page in a real browser (tests/browser.py), served by the installed server in OAuth mode over real
HTTP: a person opens the link their client gives them, reads who asks and where they go back to, pastes their key
using the keyboard alone, and goes back to the client with a code the client can trade for a working token. The
browser runs with JavaScript off, as the page needs none; nothing on it may be blocked by its own CSP, and axe-core
may find nothing against WCAG 2.2 AA in a light or a dark system theme."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.browser import axe_violations, chromium, listen_for_complaints
from tests.fake_hostup import EXAMPLE_VPS_ID, NO_SCOPE_KEY
from tests.http_server import HttpServer
from tests.oauth_flow import OAuthFlow, iso_owner
from tests.oauth_server import ALICE, oauth_server
from tests.threaded_server import serving

playwright = pytest.importorskip("playwright.async_api")
expect = playwright.expect

pytestmark = pytest.mark.anyio
# Chromium notes a page answered with an error status in its console; the refusal page is one (400), on purpose.
REFUSAL_STATUS = "error: Failed to load resource: the server responded with a status of 400 (Bad Request)"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[HttpServer]:
    with oauth_server(str(tmp_path / "oauth.sqlite3")) as (running, _hostup):
        yield running


class LoopbackClient:
    """The client's loopback redirect target (a real listener: a browser's route hooks miss redirects)."""

    def __init__(self) -> None:
        self.redirect_uri = ""
        self.arrivals: list[str] = []  # the path and query of every request that reached it


@pytest.fixture
def loopback_client() -> Iterator[LoopbackClient]:
    client = LoopbackClient()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request_line = (await reader.readline()).decode()
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        client.arrivals.append(request_line.split(" ")[1])
        body = b"<!doctype html><title>back</title><p>back at the client"
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    with serving(answer) as port:
        client.redirect_uri = f"http://127.0.0.1:{port}/callback"
        yield client


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with chromium() as launched:
        yield launched


class Person:
    """A browser a person signs in with, and what it complained about."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.complaints: list[str] = []
        listen_for_complaints(page, self.complaints)

    @classmethod
    async def open(cls, browser: Any, *, javascript: bool = False, theme: str = "light") -> Person:
        context = await browser.new_context(java_script_enabled=javascript, color_scheme=theme)
        return cls(await context.new_page())

    async def sign_in(self, key: str) -> None:
        key_field = self.page.get_by_label("Your HostUp API key")
        await expect(key_field).to_be_focused()  # the page opens ready to paste
        await self.page.keyboard.type(key)
        await self.page.keyboard.press("Enter")


@asynccontextmanager
async def at_the_sign_in_page(
    server: HttpServer, browser: Any, back_to: LoopbackClient, **browsing: Any
) -> AsyncIterator[tuple[OAuthFlow, Person]]:
    """A client registered and sending a person to its /authorize address; the person's browser has followed it."""
    async with httpx.AsyncClient(base_url=server.base) as http:
        flow = OAuthFlow(http, redirect_uri=back_to.redirect_uri)
        await flow.register(client_name="Claude")
        answer = await flow.authorize()
        assert answer.status_code == 302, answer.text
        person = await Person.open(browser, **browsing)
        await person.page.goto(str(answer.request.url))
        yield flow, person


async def test_a_person_signs_in_by_keyboard_without_javascript_and_the_client_gets_a_working_code(
    server, browser, loopback_client
):
    async with at_the_sign_in_page(server, browser, loopback_client) as (flow, person):
        await expect(person.page.get_by_role("heading", level=1)).to_have_text("Sign in with your HostUp API key")
        asking = " ".join((await person.page.locator("main > p").first.inner_text()).split())
        assert asking.startswith("Claude asks to use your HostUp VPS ISO media")
        assert f"you go back to {urlsplit(loopback_client.redirect_uri).netloc}" in asking
        await person.sign_in(ALICE)
        await expect(person.page.locator("body")).to_have_text("back at the client")

        assert len(loopback_client.arrivals) == 1
        query = parse_qs(urlsplit(loopback_client.arrivals[0]).query)
        assert query["state"] == [flow.state]
        tokens = (await flow.exchange(query["code"][0])).json()
        assert iso_owner(await flow.call(tokens["access_token"], EXAMPLE_VPS_ID)) == "ISO of alice"
    assert person.complaints == []


async def test_a_key_without_read_vm_stays_on_the_page_with_the_reason_and_goes_nowhere(
    server, browser, loopback_client
):
    async with at_the_sign_in_page(server, browser, loopback_client) as (_flow, person):
        await person.sign_in(NO_SCOPE_KEY)

        alert = person.page.get_by_role("alert")
        await expect(alert).to_contain_text("read:vm")
        assert loopback_client.arrivals == []
        await expect(person.page.get_by_label("Your HostUp API key")).to_be_focused()  # ready for another key
    assert person.complaints == [REFUSAL_STATUS]


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("key", [None, NO_SCOPE_KEY], ids=["form", "refusal"])
async def test_axe_finds_nothing_against_wcag_aa_on_the_sign_in_page(
    server, browser, loopback_client, theme: str, key: str | None
):
    # axe is a script, so this browser runs JavaScript
    async with at_the_sign_in_page(server, browser, loopback_client, javascript=True, theme=theme) as (_flow, person):
        if key is not None:
            await person.sign_in(key)
            await expect(person.page.get_by_role("alert")).to_be_visible()

        background = await person.page.locator("body").evaluate("b => getComputedStyle(b).backgroundColor")
        assert (background == "rgb(255, 255, 255)") == (theme == "light")
        assert await axe_violations(person.page.main_frame) == []
    assert person.complaints == ([] if key is None else [REFUSAL_STATUS])
