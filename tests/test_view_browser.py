"""The MCP Apps view in a real headless Chromium (tests/browser.py).

tests/view/host.html puts the view into a sandboxed iframe under the spec's default CSP and plays the host
side of the bridge; its tool calls go to the real server (in process, on the demo sandbox or the fake HostUp).
The tests look at what a person sees, click what a person clicks, and fail on any console error or CSP
violation; they hold the view to Claude's connector-directory checklist (at most 500 px inline with no scroll of
its own, 44 px touch targets, WCAG AA by axe-core in both themes, a transparent background and color-scheme) at
a phone's width and a desktop's. The light and dark views of the writable server are saved as docs/view.png and
docs/view-dark.png for the README.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID
from pydantic import SecretStr

from hostup_mcp.config import Config
from hostup_mcp.hostup.sandbox import EXAMPLE_VPS_ID
from hostup_mcp.server import build_server
from hostup_mcp.tools.view import VIEW_URI
from tests.browser import axe_violations, chromium, colour_at, listen_for_complaints
from tests.fake_hostup import API_KEY, MANY_INSTALLERS, FakeHostUp

playwright = pytest.importorskip("playwright.async_api")
expect = playwright.expect

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parent.parent
HOST_PAGE = (Path(__file__).parent / "view" / "host.html").as_uri()
PHONE, DESKTOP = 360, 760  # the view's width in a phone's chat and in a desktop's
INLINE_LIMIT = 500
MANY = "vps_manyisos"  # twelve ISOs, four slots (tests/fake_hostup.py)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with chromium() as launched:
        yield launched


class Host:
    """One page, one host, one server: what a person sees and does, and what the page complained about."""

    def __init__(self, page: Any, client: Client) -> None:
        self.page = page
        self.client = client
        self.complaints: list[str] = []
        self.calls: list[str] = []
        listen_for_complaints(page, self.complaints)

    async def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(name)
        result = await self.client.call_tool(name, arguments)
        return result.model_dump(by_alias=True, mode="json", exclude_none=True)

    async def open(self, vps_id: str, theme: str | None = "light", width: int = DESKTOP, **context: Any) -> Any:
        html = (await self.client.read_resource(VIEW_URI)).contents[0].text
        result = await self.call("list_vps_iso_media", {"vps_id": vps_id})
        await self.page.expose_function("hostCallTool", self.call)
        await self.page.goto(HOST_PAGE)
        await self.page.locator("#view").evaluate("(frame, width) => { frame.style.width = `${width}px`; }", width)
        context = {"displayMode": "inline", "locale": "en-US"} | ({"theme": theme} if theme else {}) | context
        await self.page.evaluate("([h, i, r, c]) => startView(h, i, r, c)", [html, {"vps_id": vps_id}, result, context])
        view = self.page.frame_locator("#view")
        await expect(view.locator("h1").first).to_be_visible()
        return view

    async def settled_height(self) -> float:
        """The height the view last asked for, once it has stopped asking (a resize loop fails here)."""
        await self.page.wait_for_timeout(300)
        sizes = await self.page.evaluate("window.sizes")
        await self.page.wait_for_timeout(300)
        assert await self.page.evaluate("window.sizes.length") == len(sizes), "the view keeps resizing"
        return float(sizes[-1])

    async def frame(self) -> Any:
        return await (await self.page.query_selector("#view")).content_frame()


@pytest.fixture
async def host_for(browser: Any) -> AsyncIterator[Any]:
    """host_for(writes=..) -> a Host whose server speaks MCP Apps, on the demo sandbox or, given one, a fake HostUp."""
    async with AsyncExitStack() as stack:

        async def open_host(*, writes: bool, hostup: FakeHostUp | None = None) -> Host:
            if hostup is None:
                server = build_server(Config(api_key=None, enable_writes=writes).as_demo())
            else:
                config = Config(api_key=SecretStr(API_KEY), enable_writes=writes)
                server = build_server(config, transport=hostup.transport())
            apps = advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})
            client = await stack.enter_async_context(Client(server, extensions=[apps]))
            page = await browser.new_page(viewport={"width": 800, "height": 700})
            stack.push_async_callback(page.close)
            return Host(page, client)

        yield open_host


@pytest.fixture(autouse=True)
async def no_complaints(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    host: Host | None = getattr(request.node, "host", None)
    if host is not None:
        assert host.complaints == [], "the view made the browser complain"


async def shown(view: Any, selector: str) -> str:
    return " ".join((await view.locator(selector).inner_text()).split())


async def test_the_view_shows_isos_slots_boot_order_gates_and_the_demo_marker(host_for: Any, request: Any):
    host = request.node.host = await host_for(writes=False)
    view = await host.open(EXAMPLE_VPS_ID)

    await expect(view.locator("#vps-name")).to_have_text("app-01")  # looked up with list_vps
    assert await shown(view, "#demo") == "DEMO DATA — the hostup-mcp sandbox, not a real server"
    assert await shown(view, "#isos tbody") == "Ubuntu 24.04 LTS ubuntu-24.04-live-server-amd64.iso · iso 5.9 GB"
    assert await shown(view, "#slots tbody") == "ide2 CD/DVD 3 Ubuntu 24.04 LTS ide3 CD/DVD 4 empty"
    assert await shown(view, "#boot") == "1. scsi0 Disk boots first → 2. ide2 CD/DVD 3"
    assert await shown(view, "#gates") == "Mount an ISO allowed Upload an ISO allowed"
    assert await view.locator("button").count() == 0  # writes are off: a read-only view
    assert EXAMPLE_VPS_ID in await shown(view, "h1")


async def test_closed_gates_show_hostups_reason_and_code_and_the_mount_button_says_why(host_for: Any, request: Any):
    host = request.node.host = await host_for(writes=True)
    view = await host.open("vps_demoblocked")

    gates = await shown(view, "#gates")
    assert "Mount an ISO blocked — The VPS has a pending order. pending_order" in gates
    assert "Upload an ISO blocked — Uploads are paused while an order is pending." in gates
    mount = view.get_by_role("button", name="Mount debian-12.8.0-amd64-netinst.iso")
    await expect(mount).to_be_disabled()
    await expect(mount).to_have_accessible_description(re.compile("blocked — The VPS has a pending order"))
    assert "cloud-init drive" in await shown(view, "#slots")
    assert "The boot order is not reported." in await shown(view, "main")


async def test_with_every_slot_taken_mounting_waits_for_an_eject_and_says_so(host_for: Any, request: Any):
    host = request.node.host = await host_for(writes=True)
    await host.call(
        "mount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "iso_id": "iso_01hxa3b4c5d6e7f8g9h0j1k2m3", "device": "ide3"}
    )
    view = await host.open(EXAMPLE_VPS_ID)

    assert await shown(view, "#no-free-slot") == "Every CD/DVD slot is in use: eject one to mount another."
    ejects = view.get_by_role("button", name=re.compile("^Eject"))
    await expect(ejects).to_have_count(2)


async def test_eject_and_mount_change_the_server_and_the_view(host_for: Any, request: Any):
    host = request.node.host = await host_for(writes=True)
    view = await host.open(EXAMPLE_VPS_ID)
    await host.settled_height()
    await host.page.locator("#view").screenshot(path=str(ROOT / "docs" / "view.png"))

    assert await view.get_by_role("button", name=re.compile("^Mount Ubuntu 24.04 LTS")).count() == 0
    assert "Mounted in ide2" in await shown(view, "#isos")  # already there: not mounted twice

    await view.get_by_role("button", name="Eject Ubuntu 24.04 LTS from ide2").click()
    await expect(view.get_by_role("row", name="ide2 CD/DVD 3 empty")).to_be_visible()
    after_eject = await host.client.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})
    assert after_eject.structured_content["mounted"] == []

    mount = view.get_by_role("button", name="Mount Ubuntu 24.04 LTS in ide2")
    await mount.focus()
    await host.page.keyboard.press("Enter")  # by keyboard
    await expect(view.get_by_role("button", name="Eject Ubuntu 24.04 LTS from ide2")).to_be_visible()
    after_mount = await host.client.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})
    assert [item["device"] for item in after_mount.structured_content["mounted"]] == ["ide2"]
    assert host.calls.count("list_vps_iso_media") >= 3  # refreshed after each action
    assert {"unmount_vps_iso", "mount_vps_iso"} <= set(host.calls)


async def test_an_action_that_fails_says_why_under_the_refreshed_view_even_when_that_pages_it(
    host_for: Any, request: Any
):
    host = request.node.host = await host_for(writes=True, hostup=FakeHostUp())
    view = await host.open(MANY, width=PHONE)  # its writes reach a HostUp that does not know this VPS
    await host.settled_height()

    await view.get_by_role("button", name="Eject VirtIO drivers for Windows from ide0").click()
    failed = view.get_by_role("status")
    await expect(failed).to_contain_text("Not found")
    assert await host.settled_height() <= INLINE_LIMIT  # the failure took room from the ISO page
    assert "null" not in await shown(view, "main")


async def test_an_error_result_shows_the_problem_and_the_next_step(host_for: Any, request: Any):
    host = request.node.host = await host_for(writes=False)
    view = await host.open("vps_demomissing")

    error = await shown(view, "[role=alert]")
    assert error.startswith("Not found The requested resource could not be found. Code: not_found (HTTP 404)")
    assert "Request id: req_01hxa3b4c5d6e7f8g9h0j1k2m3" in error
    assert "Next step: no such VPS on this account: call list_vps" in error


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
@pytest.mark.parametrize("vps_id", [EXAMPLE_VPS_ID, "vps_demoblocked", MANY, "vps_demomissing"])
async def test_inline_the_view_fits_in_500px_with_no_scroll_of_its_own(
    host_for: Any, request: Any, width: int, vps_id: str
):
    host = request.node.host = await host_for(writes=True, hostup=FakeHostUp())
    await host.open(vps_id, width=width)

    height = await host.settled_height()
    assert 150 < height <= INLINE_LIMIT
    frame_height = await host.page.locator("#view").evaluate("f => f.getBoundingClientRect().height")
    assert abs(frame_height - height) <= 1  # the host was told the height the view needs
    extent = await (await host.frame()).evaluate(
        "() => { const r = document.scrollingElement; return [r.scrollWidth, r.clientWidth, r.scrollHeight, r.clientHeight]; }"
    )
    assert extent[0] <= extent[1] and extent[2] <= extent[3], f"the view scrolls inside its frame: {extent}"


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
async def test_every_control_is_a_44px_touch_target(host_for: Any, request: Any, width: int):
    host = request.node.host = await host_for(writes=True, hostup=FakeHostUp())
    view = await host.open(MANY, width=width)
    await host.settled_height()

    boxes = await view.locator("button").evaluate_all(
        "buttons => buttons.map(b => [b.getAttribute('aria-label') ?? b.textContent, b.getBoundingClientRect().width, b.getBoundingClientRect().height])"
    )
    assert {name for name, _, _ in boxes} >= {"Previous", "Next", "Eject Ubuntu 24.04 LTS from ide2"}
    assert any(name.startswith("Mount ") for name, _, _ in boxes)
    small = [box for box in boxes if box[1] < 44 or box[2] < 44]
    assert small == []


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("vps_id", [EXAMPLE_VPS_ID, "vps_demoblocked", MANY, "vps_demomissing"])
async def test_axe_finds_nothing_against_wcag_aa_on_a_light_or_dark_host(
    host_for: Any, request: Any, theme: str, vps_id: str
):
    host = request.node.host = await host_for(writes=True, hostup=FakeHostUp())
    await host.open(vps_id, theme=theme, width=PHONE)
    await host.settled_height()
    frame = await host.frame()
    # axe cannot see through the frame to the host's background, so it is painted into the frame for the check.
    background = await host.page.evaluate("window.hostBackground")
    await frame.evaluate("colour => { document.documentElement.style.background = colour; }", background)

    assert await axe_violations(frame) == []


@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_the_view_is_transparent_over_the_hosts_background_and_says_its_color_scheme(
    host_for: Any, request: Any, theme: str
):
    host = request.node.host = await host_for(writes=True)
    view = await host.open(EXAMPLE_VPS_ID, theme=theme)
    await host.settled_height()
    if theme == "dark":
        await host.page.locator("#view").screenshot(path=str(ROOT / "docs" / "view-dark.png"))

    root = view.locator("html")
    assert await root.evaluate("r => getComputedStyle(r).colorScheme") == theme
    backgrounds = await root.evaluate(
        "r => [getComputedStyle(r).backgroundColor, getComputedStyle(document.body).backgroundColor]"
    )
    assert backgrounds == ["rgba(0, 0, 0, 0)", "rgba(0, 0, 0, 0)"]
    frame = await host.page.locator("#view").bounding_box()
    seen = await colour_at(host.page, frame["x"] + frame["width"] - 3, frame["y"] + 3)  # the view's padding
    assert seen == hex_colour(await host.page.evaluate("window.hostBackground"))
    text = luminance(await view.locator("body").evaluate("b => getComputedStyle(b).color"))
    assert text > 0.6 if theme == "dark" else text < 0.2


async def test_a_host_that_sends_no_theme_gets_the_systems(host_for: Any, request: Any):
    host = request.node.host = await host_for(writes=False)
    await host.page.emulate_media(color_scheme="dark")
    view = await host.open(EXAMPLE_VPS_ID, theme=None)

    assert await view.locator("html").evaluate("r => getComputedStyle(r).colorScheme") == "dark"
    assert luminance(await view.locator("body").evaluate("b => getComputedStyle(b).color")) > 0.6


async def test_a_long_iso_list_is_paged_inline_and_every_iso_can_be_reached(host_for: Any, request: Any):
    host = request.node.host = await host_for(writes=False, hostup=FakeHostUp())
    view = await host.open(MANY, width=PHONE)
    await host.settled_height()
    pages = view.locator("#iso-pages")
    first = await shown(view, "#iso-pages span")
    assert re.fullmatch(r"1–\d+ of 12", first) and first != "1–12 of 12"
    await expect(view.get_by_role("button", name="Previous")).to_be_disabled()

    seen: list[str] = []
    while True:
        seen += await view.locator("#isos tbody tr td:first-child").evaluate_all(
            "cells => cells.map(c => c.firstChild.textContent)"
        )
        next_page = pages.get_by_role("button", name="Next")
        if await next_page.is_disabled():
            break
        await next_page.focus()
        await host.page.keyboard.press("Enter")
        # the next press turns on; on the last page, the focus goes to Previous instead of being lost
        last_page = await next_page.is_disabled()
        await expect(pages.get_by_role("button", name="Previous" if last_page else "Next")).to_be_focused()
        assert await host.settled_height() <= INLINE_LIMIT
    assert seen == ["Ubuntu 24.04 LTS", *(name or "no display name" for _, name, _ in MANY_INSTALLERS)]


async def test_in_fullscreen_every_iso_shows_on_one_page(host_for: Any, request: Any):
    host = request.node.host = await host_for(writes=False, hostup=FakeHostUp())
    view = await host.open(MANY, width=PHONE, displayMode="fullscreen")
    assert await host.settled_height() > INLINE_LIMIT
    assert await view.locator("#isos tbody tr").count() == 12
    assert await view.locator("#iso-pages").count() == 0


async def test_a_host_that_gives_less_height_than_500px_gets_a_view_that_fits_it(host_for: Any, request: Any):
    host = request.node.host = await host_for(writes=False, hostup=FakeHostUp())
    view = await host.open(MANY, containerDimensions={"maxHeight": 400})
    assert await host.settled_height() <= 400
    assert await view.locator("#iso-pages").count() == 1


def luminance(css: str) -> float:
    red, green, blue = (int(part) / 255 for part in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def hex_colour(css: str) -> tuple[int, int, int]:
    return int(css[1:3], 16), int(css[3:5], 16), int(css[5:7], 16)
