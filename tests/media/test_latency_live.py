"""Click train speaker -> room -> listener on 127.0.0.1: timing, and push-to-talk silence."""

import asyncio
from functools import partial

import pytest

from app.dsp.analysis import rms_dbfs, tone_power_ratio
from app.dsp.signals import ToneSource
from app.media.client.tracks import PcmSourceTrack
from app.media.ice import LOOPBACK_ONLY
from app.media.loopback_latency import measure_click_latency
from app.media.server.room import RoomMedia
from tests.media.live import TIMEOUT, Listener, wait_for_frames


@pytest.mark.timeout(300)
async def test_clicks_arrive_once_each_and_in_time() -> None:
    report = await measure_click_latency(clicks=15, interval=0.3, timeout=120.0)
    if report.unmatched or len(report.latencies) < 13:
        # One stall of a starved test process holds a click past 250 ms; a real
        # fault (a click twice, clicks lost) shows again in a second run.
        report = await measure_click_latency(clicks=15, interval=0.3, timeout=120.0)
    assert report.sent == 15
    # Robust on a loaded machine: each click heard is one that was sent, and
    # (nearly) all are heard. Speed targets are for the benchmark, not here.
    assert report.unmatched == 0
    assert len(report.latencies) >= 13
    assert all(0.0 < x < 0.25 for x in report.latencies)
    assert report.listener["received"] > 0 and report.server["received"] > 0
    assert report.listener["target_delay_ms"] >= 4.0


async def test_push_to_talk_released_sends_no_packets() -> None:
    room = RoomMedia(LOOPBACK_ONLY)
    room.start()
    speaker = await Listener.connect(
        partial(room.join, "speaker"), PcmSourceTrack(ToneSource(440.0).next_frame)
    )
    audience = await Listener.connect(partial(room.join, "audience"))
    try:
        async with asyncio.timeout(TIMEOUT):
            await room.ready("speaker")
            await room.ready("audience")
        room.set_on_stage("speaker", True)
        await wait_for_frames([audience], 25)
        audience.recorder.clear()
        await wait_for_frames([audience], 25)
        assert tone_power_ratio(audience.recorder.samples(), 440.0) > 0.8

        speaker.client.set_sending(False)
        for _ in range(10):  # in-flight packets drain, PLC fades out (slower when starved)
            audience.recorder.clear()
            await wait_for_frames([audience], 10)
            if rms_dbfs(audience.recorder.samples()) < -60.0:
                break
        before = room.packets_received("speaker")
        audience.recorder.clear()
        await wait_for_frames([audience], 30)
        assert room.packets_received("speaker") - before <= 1
        assert rms_dbfs(audience.recorder.samples()) < -60.0  # silence, not a stuck tone

        speaker.client.set_sending(True)
        await wait_for_frames([audience], 15)
        audience.recorder.clear()
        await wait_for_frames([audience], 25)
        assert room.packets_received("speaker") - before >= 25
        assert tone_power_ratio(audience.recorder.samples(), 440.0) > 0.8
        assert room.input_stats("speaker") is not None
    finally:
        await speaker.close()
        await audience.close()
        await room.stop()
