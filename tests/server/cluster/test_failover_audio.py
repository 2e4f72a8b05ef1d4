"""Audio after a takeover: real `panggung-server` processes with media, real
aiortc peers on 127.0.0.1, kill -9 of the origin while a speaker talks.

The speaker and the listener are connected to nodes that survive, so no
reconnect tells them anything: the new origin's snapshot (its `media_epoch`)
is what makes the speaker offer again, its audio now going to the new
origin; the listener's node relays the room to it and follows the new origin
itself (or, if that node took the room, tells it to offer again there).
"""

import asyncio
import time

import pytest

from app.client.session import RoomClient
from app.dsp.signals import ToneSource
from app.protocol.model import Role
from app.protocol.requests import ApproveHand, RaiseHand
from tests.server.cluster.servers import StartServer, server_process
from tests.voice.helpers import PASSWORD, Member, hears, silent

__all__ = ["server_process"]
pytestmark = pytest.mark.postgres
TONE = 440.0
# The lease (2 s) runs out, a node takes over, the peers whose links were the
# old origin's offer again and ICE/DTLS complete: about 3 s on a quiet machine;
# 10 s leaves room for a busy one but not for ICE consent to fail the old
# connection (about 30 s), which is what a client that is not told would wait for.
HEARD_AGAIN_WITHIN = 10.0


async def test_a_listener_on_a_surviving_node_hears_the_speaker_again(
    server_process: StartServer,
) -> None:
    # Started together: each takes seconds to import, migrate and self-check.
    a, b, c = await asyncio.gather(*(server_process(n, media=True) for n in ("a", "b", "c")))
    host = RoomClient(a.url, client_name="test", reconnect=True)
    await host.connect()
    await host.register("host", PASSWORD)
    speaker = await Member.sign_in(b.url, "speaker", ToneSource(TONE).next_frame)
    ear = await Member.sign_in(c.url, "ear")
    try:
        rid = (await host.create_room("Failover audio")).room_id  # a is its origin
        await speaker.client.join(rid)
        await ear.client.join(rid)
        await speaker.client.request(RaiseHand())
        await host.wait_until(lambda m: bool(m.hand_queue()), timeout=15)
        await host.request(ApproveHand(user_id=speaker.user_id))
        await speaker.client.wait_until(lambda m: m.role_of(speaker.user_id) == Role.SPEAKER, 15)
        await speaker.start_audio()
        await ear.start_audio()
        await speaker.link.press()
        deadline = time.monotonic() + 20
        while not hears(await ear.record(0.5), TONE):
            assert time.monotonic() < deadline, "the speaker was never heard"
        epoch = ear.client.model.snapshot.media_epoch if ear.client.model else None

        a.process.kill()  # kill -9 of the origin, mid-tone
        killed = time.monotonic()
        await a.process.wait()
        # The tone went through a: it stops.
        while not silent(await ear.record(0.25)):
            assert time.monotonic() - killed < 5, "still heard with the origin dead"
        # Then it is back, through the new origin.
        while not hears(await ear.record(0.25), TONE):
            assert time.monotonic() - killed < HEARD_AGAIN_WITHIN, (
                f"not heard again within {HEARD_AGAIN_WITHIN} s of the kill"
            )
        heard_again = time.monotonic() - killed
        print(f"listener heard the speaker again {heard_again:.2f} s after kill -9 of the origin")
        assert hears(await ear.record(1.0), TONE)  # and it stays
        # Neither was reconnected: the snapshot's media epoch moved the speaker;
        # the listener's link, relayed by c, outlived the move if b took the
        # room (c followed it there), and moved to c's own plane, told to offer
        # again, if c took it.
        assert speaker.client.reconnects == ear.client.reconnects == 0
        assert ear.client.model is not None and ear.client.model.snapshot.media_epoch != epoch
        assert speaker.link.rebuilds == 1
        assert ear.link.rebuilds == (0 if ear.link.relayed else 1)
    finally:
        await speaker.close()
        await ear.close()
        await host.close()
