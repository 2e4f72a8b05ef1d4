"""The web listener past a node's live capacity: Chromium plays the room's
broadcast through the vendored hls.js (checked on the audio it plays), and
switches to a live link when invited to the stage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from app.dsp.analysis import peak_frequency, rms_dbfs, tone_power_ratio
from app.protocol.requests import InviteToStage
from tests.server.web.conftest import ClientFactory, ServerFactory
from tests.server.web.test_browser import (
    Speak,
    open_room,
    record,
    sign_up,
    user_id_of,
    wait_listening,
)
from tests.support.browser import ENUMERATE

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]


def plays(heard: Any, freq: float) -> None:
    tail = heard[-48_000:]
    assert rms_dbfs(tail) > -35, f"the browser played near silence ({rms_dbfs(tail):.1f} dBFS)"
    assert abs(peak_frequency(tail) - freq) < 5
    assert tone_power_ratio(tail, freq) > 0.6


async def test_past_capacity_the_page_plays_the_broadcast_then_the_live_stage(
    browser: Browser,
    pulse: Any,
    make_server: ServerFactory,
    make_client: ClientFactory,
    speak: Speak,
    tmp_path: Path,
) -> None:
    # One live link: the host's own. Every listener gets the broadcast.
    server = await make_server(webrtc_capacity=1, hls_dir=tmp_path / "hls")
    host = await make_client(server, "siti")
    room = await host.create_room("Siaran")
    await speak(host, 660.0)

    page = await open_room(browser, server, room.room_id, permissions=ENUMERATE)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    await sign_up(page, "wulan")
    status = page.locator("#media-status")
    await expect(status).to_have_text("Broadcast — a few seconds behind", timeout=30_000)
    stats = await page.evaluate("window.panggung.broadcastStats()")
    assert stats["mode"] == "hls.js" and not stats["paused"], stats
    plays(await record(2.5, tmp_path), 660.0)

    # Invited to the stage: a live link first, whatever the capacity.
    await host.request(InviteToStage(user_id=await user_id_of(server, "wulan")))
    live = await wait_listening(page)
    assert live["codec"]["mimeType"].lower() == "audio/opus"
    assert await page.evaluate("window.panggung.broadcastStats()") is None
    plays(await record(2.0, tmp_path), 660.0)

    assert page.errors == []  # type: ignore[attr-defined]
    assert not [line for line in console if "Content Security Policy" in line], console
    await page.context.close()
