"""The MCP Apps view in a real headless Chromium (Debian's chromium-headless-shell, driven by Playwright).

tests/view/host.html puts the view into a sandboxed iframe under the spec's default CSP and plays the host
side of the bridge; its tool calls go to the real server (in process, on the demo sandbox). The tests look at
what a person sees, click what a person clicks, and fail on any console error or CSP violation. The light
view of the writable server is saved as docs/view.png for the README.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID

from hostup_mcp.config import Config
from hostup_mcp.hostup.sandbox import EXAMPLE_VPS_ID
from hostup_mcp.server import build_server
from hostup_mcp.tools.view import VIEW_URI
from tests.other_clients import require

playwright = pytest.importorskip("playwright.async_api")
expect = playwright.expect

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parent.parent
HOST_PAGE = (Path(__file__).parent / "view" / "host.html").as_uri()
CHROMIUM = shutil.which("chromium-headless-shell") or "/usr/bin/chromium-headless-shell"
HAVE_CHROMIUM = Path(CHROMIUM).exists()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    require("chromium-headless-shell", HAVE_CHROMIUM, "apt-get install chromium-headless-shell")
    async with playwright.async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=CHROMIUM)
        yield launched
        await launched.close()


class Host:
    """One page, one host, one server: what a person sees and does, and what the page complained about."""

    def __init__(self, page: Any, client: Client) -> None:
        self.page = page
        self.client = client
        self.complaints: list[str] = []
        self.calls: list[str] = []
        page.on("console", self.note)
        page.on("pageerror", lambda error: self.complaints.append(f"page error: {error}"))

    def note(self, message: Any) -> None:
        if message.type in ("error", "warning") or "Content Security Policy" in message.text:
            self.complaints.append(f"{message.type}: {message.text}")

    async def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(name)
        result = await self.client.call_tool(name, arguments)
        return result.model_dump(by_alias=True, mode="json", exclude_none=True)

    async def open(self, vps_id: str, theme: str | None = "light") -> Any:
        html = (await self.client.read_resource(VIEW_URI)).contents[0].text
        result = await self.call("list_vps_iso_media", {"vps_id": vps_id})
        await self.page.expose_function("hostCallTool", self.call)
        await self.page.goto(HOST_PAGE)
        context = {"displayMode": "inline", "locale": "en-US"} | ({"theme": theme} if theme else {})
        await self.page.evaluate("([h, i, r, c]) => startView(h, i, r, c)", [html, {"vps_id": vps_id}, result, context])
        view = self.page.frame_locator("#view")
        await expect(view.locator("h1").first).to_be_visible()
        return view


@pytest.fixture
async def host_for(browser: Any) -> AsyncIterator[Any]:
    """host_for(writes=..) -> a Host whose server runs the demo sandbox and speaks MCP Apps."""
    async with AsyncExitStack() as stack:

        async def open_host(*, writes: bool) -> Host:
            server = build_server(Config(api_key=None, enable_writes=writes).as_demo())
            apps = advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})
            client = await stack.enter_async_context(Client(server, extensions=[apps]))
            page = await browser.new_page(viewport={"width": 800, "height": 600})
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
    assert await shown(view, "#isos tbody") == "Ubuntu 24.04 LTS ubuntu-24.04-live-server-amd64.iso 5.9 GB iso"
    slots = await shown(view, "#slots tbody")
    assert slots == "ide2 CD/DVD 3 Ubuntu 24.04 LTS iso_01hxa3b4c5d6e7f8g9h0j1k2m3 ide3 CD/DVD 4 empty"
    assert await shown(view, "#boot") == "1. scsi0 Disk boots first → 2. ide2 CD/DVD 3"
    assert await shown(view, "#gates") == "Mount an ISO allowed Upload an ISO allowed"
    assert await view.locator("button").count() == 0  # writes are off: a read-only view
    assert EXAMPLE_VPS_ID in await shown(view, "h1")


async def test_closed_gates_show_hostups_reason_and_code(host_for: Any, request: Any):
    host = request.node.host = await host_for(writes=True)
    view = await host.open("vps_demoblocked")

    gates = await shown(view, "#gates")
    assert "Mount an ISO blocked — The VPS has a pending order. pending_order" in gates
    assert "Upload an ISO blocked — Uploads are paused while an order is pending." in gates
    mount = view.get_by_role("button", name="Mount debian-12.8.0-amd64-netinst.iso")
    await expect(mount).to_be_disabled()
    assert "Mounting is blocked: The VPS has a pending order." in await shown(view, "#isos")
    assert "cloud-init drive" in await shown(view, "#slots")
    assert "The boot order is not reported." in await shown(view, "main")


async def test_eject_and_mount_change_the_server_and_the_view(host_for: Any, request: Any, tmp_path: Path):
    host = request.node.host = await host_for(writes=True)
    view = await host.open(EXAMPLE_VPS_ID)
    await host.page.locator("#view").screenshot(path=screenshot_path("view.png", tmp_path))

    await expect(view.get_by_role("button", name="Mount Ubuntu 24.04 LTS in ide3")).to_be_disabled()
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


async def test_an_error_result_shows_the_problem_and_the_next_step(host_for: Any, request: Any):
    host = request.node.host = await host_for(writes=False)
    view = await host.open("vps_demomissing")

    error = await shown(view, "[role=alert]")
    assert error.startswith("Not found The requested resource could not be found. Code: not_found (HTTP 404)")
    assert "Request id: req_01hxa3b4c5d6e7f8g9h0j1k2m3" in error
    assert "Next step: no such VPS on this account: call list_vps" in error


async def test_the_view_is_readable_in_a_dark_host_and_sized_to_its_content(
    host_for: Any, request: Any, tmp_path: Path
):
    host = request.node.host = await host_for(writes=True)
    view = await host.open(EXAMPLE_VPS_ID, theme="dark")
    await expect(view.locator("#gates")).to_be_visible()
    await host.page.wait_for_timeout(300)
    await host.page.locator("#view").screenshot(path=screenshot_path("view-dark.png", tmp_path))

    text, background = await text_and_background(view)
    assert text > 0.6 and background < 0.2  # light text on a dark background
    sizes = await host.page.evaluate("window.sizes")
    await host.page.wait_for_timeout(300)
    assert 200 < sizes[-1] < 1000
    assert await host.page.evaluate("window.sizes.length") == len(sizes)  # no resize loop
    height = await host.page.locator("#view").evaluate("f => f.getBoundingClientRect().height")
    assert abs(height - sizes[-1]) <= 1


async def test_a_host_that_sends_no_theme_gets_the_systems(host_for: Any, request: Any):
    host = request.node.host = await host_for(writes=False)
    await host.page.emulate_media(color_scheme="dark")
    view = await host.open(EXAMPLE_VPS_ID, theme=None)

    text, background = await text_and_background(view)
    assert text > 0.6 and background < 0.2


async def text_and_background(view: Any) -> tuple[float, float]:
    """The luminance of the body's text and of the page's background."""
    colours = await view.locator("body").evaluate(
        "b => [getComputedStyle(b).color, getComputedStyle(document.documentElement).backgroundColor]"
    )
    return luminance(colours[0]), luminance(colours[1])


def luminance(css: str) -> float:
    red, green, blue = (int(part) / 255 for part in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def screenshot_path(name: str, tmp_path: Path) -> str:
    """docs/<name>, which the README shows."""
    return str(ROOT / "docs" / name)
