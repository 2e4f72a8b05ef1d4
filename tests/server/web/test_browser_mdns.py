"""A browser as real listeners run it: no microphone permission, so Chromium
names its host candidate by an mDNS name (<uuid>.local) and offers only the
default route's interface — here a test host interface in this module's own
network namespace (tests/support/netns.py), never the machine's."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from app.bench.netns import TEST_HOST
from tests.server.web.conftest import ClientFactory, ServerFactory
from tests.server.web.test_browser import Speak, open_room, sign_up, wait_listening

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]
WITH_TEST_HOST = True


async def test_mdns_candidates_connect_at_once_through_peer_reflexive_ones(
    browser: Browser, make_server: ServerFactory, make_client: ClientFactory, speak: Speak
) -> None:
    server = await make_server(media_addresses=("127.0.0.1", TEST_HOST))
    host = await make_client(server, "ayu")
    room = await host.create_room("Tanpa izin")
    await speak(host, 440.0)

    page = await open_room(browser, server, room.room_id)  # no permissions granted
    await sign_up(page, "eko")
    stats = await wait_listening(page)

    candidates = [line for line in stats["offer"].splitlines() if line.startswith("a=candidate")]
    assert candidates, "Chromium offered no candidate"
    assert all(".local " in line for line in candidates if " udp " in line), candidates
    assert stats["pair"]["remote"]["address"] == TEST_HOST
    # The server dropped the .local candidates instead of resolving them by
    # multicast DNS, which holds setRemoteDescription (and the answer) for
    # a second per name: the answer comes at once.
    assert stats["answeredMs"] < 900, f"the answer took {stats['answeredMs']:.0f} ms"
    await page.context.close()
