"""The tiers heard: past the node's live capacity a listener hears the room
through the broadcast (HLS), and once invited to the stage through a live
link, as the stage does."""

import asyncio
import time

import numpy as np
import pytest
from numpy.typing import NDArray

from app.client.connection import RequestFailed
from app.dsp import FRAME_SAMPLES, SAMPLE_RATE
from app.dsp.analysis import peak_frequency
from app.dsp.signals import ToneSource
from app.media.client.hls import HlsPlayer
from app.protocol.replies import BroadcastStream, MediaAnswer
from app.protocol.requests import InviteToStage, ListenBroadcast, MediaOffer

from .conftest import ServerFactory
from .helpers import Member, hears

CAPACITY = 2  # the host and one listener


async def pull(player: HlsPlayer, seconds: float) -> NDArray[np.int16]:
    """What a sound card would take from the player over `seconds`, on a 20 ms clock."""
    frames, start, n = [], time.monotonic(), 0
    while n * FRAME_SAMPLES < seconds * SAMPLE_RATE:
        n += 1
        await asyncio.sleep(max(0.0, start + n * FRAME_SAMPLES / SAMPLE_RATE - time.monotonic()))
        frames.append(player.next_frame())
    return np.concatenate(frames)


async def test_past_capacity_the_broadcast_carries_the_room_until_the_stage(
    make_server: ServerFactory,
) -> None:
    server = await make_server(webrtc_capacity=CAPACITY)
    host = await Member.sign_in(server.url, "host", ToneSource(440).next_frame)
    early = await Member.sign_in(server.url, "early")
    late = await Member.sign_in(server.url, "late")
    player: HlsPlayer | None = None
    try:
        room = await host.client.create_room("Full house")
        await early.client.join(room.room_id)
        await late.client.join(room.room_id)
        await host.start_audio()
        await host.link.press()
        await early.start_audio()
        assert hears(await early.record(1.5), 440)

        # The node is full: the late listener is told to use the broadcast.
        with pytest.raises(RequestFailed) as refused:
            await late.link.start()
        assert refused.value.code == "broadcast_only"
        assert late.link.peer is None  # the refused peer connection is closed, not kept
        # A listener replacing its own link is not refused for the capacity it uses.
        with pytest.raises(RequestFailed) as own:
            await early.client.conn.call_for(MediaOffer(sdp="v=0 not an offer"), MediaAnswer)
        assert own.value.code == "media_failed"

        stream = await late.client.conn.call_for(ListenBroadcast(), BroadcastStream)
        player = HlsPlayer(f"{server.http_url}{stream.playlist}")
        player.start()
        assert await asyncio.to_thread(player.opened.wait, 15.0), player.error
        await pull(player, stream.behind_seconds + 1.0)  # the broadcast catches up
        broadcast = await pull(player, 2.0)
        assert abs(peak_frequency(broadcast) - 440) < 10 and hears(broadcast, 440)

        # Invited to the stage: a live link first, then up, heard live.
        await host.client.request(InviteToStage(user_id=late.user_id))
        await late.start_audio()
        await asyncio.to_thread(player.close)
        player = None
        assert hears(await late.record(1.5), 440)
    finally:
        if player is not None:
            await asyncio.to_thread(player.close)
        for member in (late, early, host):
            await member.close()
