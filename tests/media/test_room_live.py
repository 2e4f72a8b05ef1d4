"""The mixer clock end to end: speakers in, audience mix and N-1 mixes out."""

import asyncio
from collections.abc import AsyncIterator
from functools import partial

import pytest

from app.dsp.analysis import tone_power_ratio
from app.dsp.signals import ToneSource
from app.media.client.tracks import PcmSourceTrack
from app.media.ice import LOOPBACK_ONLY
from app.media.server.room import RoomMedia
from tests.media.live import TIMEOUT, Listener, wait_for_frames


@pytest.fixture
async def room() -> AsyncIterator[RoomMedia]:
    r = RoomMedia(LOOPBACK_ONLY)
    r.start()
    yield r
    await r.stop()


async def join(room: RoomMedia, pid: str, freq: float | None = None) -> Listener:
    source = PcmSourceTrack(ToneSource(freq).next_frame) if freq is not None else None
    listener = await Listener.connect(partial(room.join, pid), source)
    async with asyncio.timeout(TIMEOUT):
        await room.ready(pid)
    return listener


async def record(listeners: list[Listener], frames: int = 50) -> None:
    await wait_for_frames(listeners, 15)  # let mixes settle after a change
    for lst in listeners:
        lst.recorder.clear()
    await wait_for_frames(listeners, frames)


async def test_listener_hears_both_speakers_each_speaker_hears_the_other(
    room: RoomMedia,
) -> None:
    a = await join(room, "a", 440.0)
    b = await join(room, "b", 660.0)
    audience = await join(room, "listener")
    try:
        room.set_on_stage("a", True)
        room.set_on_stage("b", True)
        await record([a, b, audience])

        heard = audience.recorder.samples()
        assert tone_power_ratio(heard, 440.0) > 0.25
        assert tone_power_ratio(heard, 660.0) > 0.25

        a_return = a.recorder.samples()
        assert tone_power_ratio(a_return, 660.0) > 0.8
        assert tone_power_ratio(a_return, 440.0) < 0.01

        b_return = b.recorder.samples()
        assert tone_power_ratio(b_return, 440.0) > 0.8
        assert tone_power_ratio(b_return, 660.0) < 0.01

        assert len(room.audience) == 1  # stage members get their own streams

        # Both receive hops took rtp_tap's fast path after the first packet
        # (the tones above prove that what it delivered plays correctly).
        for tap in (audience.client.tap, room.receive_tap("a")):
            assert tap is not None
            assert tap.fast > 40 * tap.slow, tap
            assert tap.rejected == 0
    finally:
        for lst in (a, b, audience):
            await lst.close()


async def test_server_decides_who_is_heard(room: RoomMedia) -> None:
    a = await join(room, "a", 440.0)
    b = await join(room, "b", 660.0)
    audience = await join(room, "listener")
    try:
        # b sends audio but is not on stage: the audience hears only a.
        room.set_on_stage("a", True)
        await record([audience])
        assert tone_power_ratio(audience.recorder.samples(), 440.0) > 0.8
        assert tone_power_ratio(audience.recorder.samples(), 660.0) < 0.01

        # On stage but muted (push-to-talk released): still not heard.
        room.set_on_stage("b", True)
        room.set_heard("b", False)
        await record([audience])
        assert tone_power_ratio(audience.recorder.samples(), 660.0) < 0.01

        room.set_heard("b", True)
        room.set_on_stage("a", False)
        await record([audience, a])
        assert tone_power_ratio(audience.recorder.samples(), 660.0) > 0.8
        assert tone_power_ratio(audience.recorder.samples(), 440.0) < 0.01
        # a is back in the audience and hears b through the shared stream.
        assert tone_power_ratio(a.recorder.samples(), 660.0) > 0.8
        assert len(room.audience) == 2
    finally:
        for lst in (a, b, audience):
            await lst.close()


async def test_leave_detaches_and_closes(room: RoomMedia) -> None:
    first = await join(room, "one")
    second = await join(room, "two")
    try:
        assert len(room.audience) == 2
        await room.leave("one")
        assert len(room.audience) == 1
        await room.leave("one")  # idempotent
        await wait_for_frames([second], 10)
        with pytest.raises(KeyError):
            room.set_on_stage("one", True)
        with pytest.raises(ValueError):
            room.set_heard("two", True)  # not on stage
    finally:
        await first.close()
        await second.close()


async def test_mixer_ticks_just_after_a_speakers_packets(room: RoomMedia) -> None:
    # The speaker's 20 ms clock and the mixer's start at unrelated phases: each
    # packet would wait 0-20 ms beyond the jitter target for its tick. The
    # mixer moves its phase (PhaseAligner) until even the latest packets have
    # little to spare: less than the smallest move plus the margin (5 ms).
    a = await join(room, "a", 440.0)
    try:
        room.set_on_stage("a", True)
        assert room.input_stats("a") is not None  # on stage
        await asyncio.sleep(3.0)
        spare: list[float] = []
        # Three readings of the rolling one-second minimum, half a second apart
        # (a steady phase reads the same twice). None while arrivals run late,
        # which a starved machine makes last: hence the long bound.
        async with asyncio.timeout(3 * TIMEOUT):
            while len(spare) < 3:
                await asyncio.sleep(0.5)
                excess = room.input_excess_ms("a")
                if excess is not None:
                    spare.append(excess)
        assert max(spare) < 5.0 + 0.5, (spare, room.aligner.shifts)
        stats = room.input_stats("a")
        assert stats is not None
        # Sooner, but not too soon: a tick ahead of its packets would run dry on
        # most ticks; a starved machine's stalls cost a few in a thousand.
        assert stats.underruns <= max(2, stats.played // 50), stats
    finally:
        await a.close()
