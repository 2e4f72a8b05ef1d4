"""The README's picture of the web listener, from the real headless Chromium.

    sudo .venv/bin/python scripts/web_screenshot.py docs/screenshots/web-listener.png

Starts a server with its demo room (two bots taking turns on stage) inside a
private network namespace (root), signs a listener up in the page, raises
its hand, reacts, and saves what Chromium shows.
"""

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from playwright.async_api import async_playwright, expect

from app.bench.chromium import ENUMERATE, launch
from app.bench.netns import private_network
from app.server.app import ServerConfig, start_server
from app.server.demo import ensure_demo_room


async def shoot(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = await start_server(ServerConfig(db_url=f"sqlite:///{tmp}/db.sqlite", port=0))
        try:
            room_id = await ensure_demo_room(server.store, server.accounts, server.hub)
            async with async_playwright() as playwright:
                browser = await launch(playwright, dict(os.environ))
                context = await browser.new_context(
                    permissions=ENUMERATE, viewport={"width": 900, "height": 760}
                )
                page = await context.new_page()
                await page.goto(f"{server.http_url}/room/{room_id}")
                await page.get_by_label("Username").fill("sari")
                await page.get_by_label("Password").fill("a long password")
                await page.get_by_role("button", name="Create account").click()
                await expect(page.locator("#media-status")).to_have_text(
                    "Listening", timeout=30_000
                )
                await page.get_by_role("button", name="Raise hand").click()
                await page.get_by_role("button", name="Applause").click()
                await expect(page.locator("#stage li.talking")).to_have_count(1, timeout=15_000)
                await page.screenshot(path=str(out))
                await browser.close()
        finally:
            await server.stop()


if __name__ == "__main__":
    with private_network():
        asyncio.run(shoot(Path(sys.argv[1])))
