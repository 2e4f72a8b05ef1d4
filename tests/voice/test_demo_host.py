"""The demo room's host brings a raised hand up, greets them with its voice,
and moves them back to the audience after their turn (issue 18, point 1)."""

import asyncio
import time

import numpy as np

from app.media.wavfile import read_audio
from app.protocol.model import Role
from app.protocol.requests import LowerHand, Mute, RaiseHand
from app.server.app import RunningServer
from app.server.demo import DEMO_USER, _bot_ids, ensure_demo_room
from app.server.demo_host import GREETING, DemoHost, start_demo_host
from app.server.demo_voices import _ServerSide
from app.server.rooms import Actor
from tests.voice.helpers import Member, windowed_similarity

APPROVE_AFTER, TURN = 1.0, 6.0


async def test_a_raised_hand_gets_the_stage_a_hello_and_then_the_next_turn(
    server: RunningServer,
) -> None:
    room_id = await ensure_demo_room(server.store, server.accounts, server.hub)
    user = await server.store.find_user(DEMO_USER)
    assert user is not None
    host = Actor(user.user_id, user.username)
    bots = await _bot_ids(server.store)
    # The bots' chatter muted (as any moderator may), so only the host's hello is heard.
    for bot in bots:
        await server.hub.command(_ServerSide(host.user_id, room_id), host, Mute(user_id=bot))
    server.adopt(start_demo_host(server.hub, host, room_id, bots, APPROVE_AFTER, TURN))

    shy = await Member.sign_in(server.url, "shy")
    newcomer = await Member.sign_in(server.url, "newcomer")
    try:
        await shy.client.join(room_id)
        await shy.client.request(RaiseHand())
        await shy.client.request(LowerHand())  # changed their mind at once
        await newcomer.client.join(room_id)
        await newcomer.start_audio()
        raised = time.monotonic()
        await newcomer.client.request(RaiseHand())
        me = newcomer.user_id
        await newcomer.client.wait_until(lambda m: m.role_of(me) is Role.SPEAKER, timeout=10)
        mark = len(newcomer.heard)  # the hello follows the approval: keep all of it
        waited = time.monotonic() - raised
        assert APPROVE_AFTER <= waited < APPROVE_AFTER + 4, f"brought up after {waited:.1f} s"

        # The host says hello: named as speaking, and it is the greeting clip.
        await newcomer.client.wait_until(lambda _m: host.user_id in newcomer.client.speaking, 5)
        greeting = read_audio(GREETING)
        await asyncio.sleep(len(greeting) / 48_000 + 1.5)
        heard = np.concatenate(newcomer.heard[mark:])
        # Each stretch of the clip's speech is found in what was heard.
        similarity = windowed_similarity(greeting, heard)
        assert similarity > 0.5, f"the host's hello was not heard ({similarity:.2f})"

        # After the turn, back to the audience through the normal request.
        await newcomer.client.wait_until(lambda m: m.role_of(me) is Role.LISTENER, TURN + 5)
        assert time.monotonic() - raised >= TURN
        model = shy.client.model
        assert model is not None and model.role_of(shy.user_id) is Role.LISTENER
    finally:
        await newcomer.close()
        await shy.close()


async def test_the_host_stops_when_its_room_is_gone(server: RunningServer) -> None:
    await ensure_demo_room(server.store, server.accounts, server.hub)
    user = await server.store.find_user(DEMO_USER)
    assert user is not None
    demo = DemoHost(server.hub, Actor(user.user_id, user.username), "no-such-room")
    assert await demo.step() is False
    await asyncio.wait_for(demo.run(), 5)  # returns: nothing left to host
