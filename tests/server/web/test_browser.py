"""The web listener in a real browser: Debian's Chromium, headless, against the
real server, checked on the audio it plays (PulseAudio null sink, recorded
from its monitor), on what reaches the room and on what it shows."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from app.audio.virtual import VirtualPulse
from app.client.session import RoomClient
from app.client.voice_link import VoiceLink
from app.dsp.analysis import peak_frequency, rms_dbfs, tone_power_ratio
from app.protocol.events import AnyRoomEvent, Reacted
from app.protocol.requests import SetTopic
from app.server.app import RunningServer
from tests.server.web.conftest import ClientFactory, ServerFactory
from tests.support.browser import ENUMERATE
from tests.support.pulse import Parec

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]

Speak = Callable[[RoomClient, float], Awaitable[VoiceLink]]
PASSWORD = "a long web password"
HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'


async def open_room(browser: Browser, server: RunningServer, room_id: str, **kw: Any) -> Page:
    context: BrowserContext = await browser.new_context(**kw)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # type: ignore[attr-defined]
    await page.goto(f"{server.http_url}/room/{room_id}")
    return page


async def sign_up(page: Page, name: str) -> None:
    await page.get_by_label("Username").fill(name)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page.locator("#actions")).to_be_visible(timeout=20_000)


async def wait_listening(page: Page) -> dict[str, Any]:
    """Until the page's peer connection is up and Opus packets arrive."""
    await expect(page.locator("#media-status")).to_have_text("Listening", timeout=30_000)
    for _ in range(100):
        stats: dict[str, Any] = await page.evaluate("window.panggung.mediaStats()")
        if stats and stats["inbound"] and stats["inbound"]["packetsReceived"] > 25:
            return stats
        await asyncio.sleep(0.1)
    raise AssertionError(f"no audio packets reached the page: {stats}")


async def record(seconds: float, tmp: Any) -> np.ndarray[Any, Any]:
    """What Chromium plays, from the private PulseAudio's `spk` monitor."""
    recorder = Parec(tmp / "heard.raw", sink="spk")
    try:
        await recorder.ready()
        await asyncio.sleep(seconds)
    finally:
        audio = recorder.stop()
    return audio


async def test_browser_hears_the_stage_reacts_and_raises_a_hand(
    browser: Browser,
    pulse: VirtualPulse,
    make_server: ServerFactory,
    make_client: ClientFactory,
    speak: Speak,
    tmp_path: Any,
) -> None:
    server = await make_server()
    host = await make_client(server, "ayu")
    room = await host.create_room("Kopi pagi", topic="Morning coffee")
    reactions: list[AnyRoomEvent] = []
    host.event_hooks.append(reactions.append)
    # Protocol 2 (issue #11) sends reactions in bursts instead of events.
    bursts: list[Any] = []
    getattr(host, "reaction_hooks", []).append(bursts.append)
    await speak(host, 660.0)

    page = await open_room(browser, server, room.room_id, permissions=ENUMERATE)
    await expect(page.locator("#room-title")).to_have_text("Kopi pagi")
    await sign_up(page, "budi")
    stats = await wait_listening(page)

    # What was negotiated: Opus over DTLS-SRTP on 127.0.0.1, one bundled transport.
    assert stats["codec"]["mimeType"].lower() == "audio/opus"
    assert stats["transport"]["dtlsState"] == "connected"
    assert (
        stats["transport"]["srtpCipher"].startswith("SRTP_AES128_CM")
        or "GCM" in (stats["transport"]["srtpCipher"])
    )
    assert stats["pair"]["local"]["address"] == "127.0.0.1"
    assert stats["pair"]["remote"]["address"] == "127.0.0.1"

    # On the audio: the browser plays the speaker's 660 Hz tone.
    heard = await record(2.0, tmp_path)
    assert len(heard) > 48_000, "parec recorded under a second"
    tail = heard[-48_000:]
    assert rms_dbfs(tail) > -30, f"the browser played near silence ({rms_dbfs(tail):.1f} dBFS)"
    assert abs(peak_frequency(tail) - 660.0) < 5
    assert tone_power_ratio(tail, 660.0) > 0.8

    # Stage and talking, as the page shows them.
    stage = page.locator("#stage li")
    await expect(stage).to_have_count(1)
    await expect(stage.first).to_contain_text("ayu")
    await expect(stage.first).to_have_class("member talking", timeout=5_000)

    # A reaction from the page reaches the room.
    await page.get_by_role("button", name="Applause").click()
    web_user = await user_id_of(server, "budi")
    for _ in range(50):
        if any(isinstance(e, Reacted) and e.reaction == "clap" for e in reactions) or any(
            "clap" in b.counts for b in bursts
        ):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the page's reaction never reached the host")

    # Raise hand: the moderator's queue shows it.
    await page.get_by_role("button", name="Raise hand").click()
    model = await host.wait_until(lambda m: any(x.user_id == web_user for x in m.hand_queue()))
    assert [m.name for m in model.hand_queue()] == ["budi"]
    hand = page.get_by_role("button", name="Lower hand")
    await expect(hand).to_have_attribute("aria-pressed", "true")
    await hand.click()
    await host.wait_until(lambda m: not m.hand_queue())
    assert page.errors == []  # type: ignore[attr-defined]
    await page.context.close()


async def user_id_of(server: RunningServer, name: str) -> int:
    user = await server.store.find_user(name)
    assert user is not None
    return user.user_id


async def test_other_peoples_text_is_shown_as_text(
    browser: Browser, make_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await make_server(media=False)
    host = await make_client(server, "mallory")
    room = await host.create_room(HOSTILE, topic=f"topic {HOSTILE} &amp; &lt;b&gt;")
    page = await open_room(browser, server, room.room_id)

    # Rendered by the server, before anyone signs in.
    await expect(page.locator("#room-title")).to_have_text(HOSTILE)
    await expect(page.locator("#room-topic")).to_have_text(f"topic {HOSTILE} &amp; &lt;b&gt;")
    assert await page.title() == f"{HOSTILE} · Panggung"
    # Written by the page's script, after joining, and as the topic changes.
    await sign_up(page, "victim")
    await host.request(SetTopic(topic=f"new {HOSTILE}"))
    await expect(page.locator("#room-topic")).to_have_text(f"new {HOSTILE}")
    await expect(page.locator("#room-title")).to_have_text(HOSTILE)
    assert await page.locator("main img, main script").count() == 0
    assert await page.evaluate("window.pwned") is None

    # The CSP forbids parsing markup from strings at all (Trusted Types) and
    # inline scripts, so a slip in the page's own code could not run either.
    outcome = await page.evaluate(
        "() => { try { document.body.innerHTML = '<b>x</b>'; return 'parsed'; }"
        " catch (e) { return e.name; } }"
    )
    assert outcome == "TypeError"
    assert page.errors == []  # type: ignore[attr-defined]
    await page.context.close()


async def test_the_page_speaks_bahasa_indonesia(
    browser: Browser, make_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await make_server(media=False)
    host = await make_client(server, "citra")
    room = await host.create_room("Ngobrol santai")
    page = await open_room(browser, server, room.room_id, locale="id-ID")
    await expect(page.get_by_role("heading", name="Masuk untuk mendengarkan")).to_be_visible()
    assert await page.evaluate("document.documentElement.lang") == "id"
    await page.get_by_label("Nama pengguna").fill("dewi")
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Buat akun").click()
    await expect(page.get_by_role("button", name="Angkat tangan")).to_be_visible(timeout=20_000)
    await expect(page.get_by_role("button", name="Tepuk tangan")).to_be_visible()
    # Switched by hand, remembered for the next visit (a preference, not a secret).
    await page.get_by_label("Bahasa", exact=True).select_option("en")
    await expect(page.get_by_role("button", name="Raise hand")).to_be_visible()
    await page.reload()
    await expect(page.get_by_role("button", name="Raise hand")).to_be_visible(timeout=20_000)
    await page.context.close()
