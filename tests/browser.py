"""A real headless Chromium for the tests (Debian's chromium-headless-shell, driven by Playwright; its own browser
download is not used), and what the tests ask of a page in it: what the page complained about, what axe-core
finds wrong, the colour a person sees at a point."""

from __future__ import annotations

import shutil
import struct
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tests.other_clients import require

CHROMIUM = shutil.which("chromium-headless-shell") or "/usr/bin/chromium-headless-shell"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
AXE = Path(__file__).parent / "clients" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    require("chromium-headless-shell", HAVE_CHROMIUM, "apt-get install chromium-headless-shell")
    async with async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=CHROMIUM)
        try:
            yield launched
        finally:
            await launched.close()


def listen_for_complaints(page: Any, complaints: list[str]) -> None:
    """Console errors and warnings, CSP violations and uncaught errors of `page` go into `complaints`."""

    def note(message: Any) -> None:
        if message.type in ("error", "warning") or "Content Security Policy" in message.text:
            complaints.append(f"{message.type}: {message.text}")

    page.on("console", note)
    page.on("pageerror", lambda error: complaints.append(f"page error: {error}"))


async def axe_violations(frame: Any) -> list[str]:
    """What axe-core finds against WCAG 2.2 A and AA in `frame` (a Playwright Frame), one line per rule and place."""
    require("axe-core", AXE.exists())
    await frame.evaluate(AXE.read_text())
    results = await frame.evaluate(
        "tags => axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })", WCAG_AA
    )
    return [
        f"{violation['id']} at {' '.join(node['target'])}: {node['failureSummary']}"
        for violation in results["violations"]
        for node in violation["nodes"]
    ]


async def colour_at(page: Any, x: float, y: float) -> tuple[int, int, int]:
    """The red, green and blue a person sees at (x, y) of the page, read from a one-pixel screenshot."""
    png = await page.screenshot(clip={"x": x, "y": y, "width": 1, "height": 1})
    return first_pixel(png)


def first_pixel(png: bytes) -> tuple[int, int, int]:
    # In the first pixel of the first row every PNG filter leaves the bytes as they are, so no unfiltering is needed.
    data, offset = b"", 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        if kind == b"IHDR":
            bit_depth, colour_type = png[offset + 16], png[offset + 17]
            assert (bit_depth, colour_type) in ((8, 2), (8, 6)), "an 8-bit RGB or RGBA screenshot"
        if kind == b"IDAT":
            data += png[offset + 8 : offset + 8 + length]
        offset += 12 + length
    red, green, blue = zlib.decompress(data)[1:4]
    return red, green, blue
