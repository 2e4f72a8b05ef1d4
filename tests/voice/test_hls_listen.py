"""The broadcast tier heard: HLS through PyAV sounds like the WebRTC listener, a little later."""

import asyncio
import time
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray

from app.dsp import FRAME_SAMPLES, SAMPLE_RATE
from app.dsp.analysis import normalized_xcorr, peak_frequency
from app.dsp.signals import ToneSource
from app.media.client.hls import HlsPlayer
from app.media.wavfile import FileSource
from app.server.app import RunningServer

from .helpers import Member, windowed_similarity
from .test_speech_and_recovery import espeak

TARGET_DELAY = 3.0  # seconds behind live, with ~1 s segments


async def test_hls_matches_the_webrtc_listener_within_three_seconds(
    server: RunningServer, tmp_path: Path
) -> None:
    spoken = espeak(tmp_path / "a.wav", "Selamat datang di Panggung. Raise your hand to speak.")
    unrelated = espeak(tmp_path / "b.wav", "Nine purple elephants quietly ate seven oranges.")
    playing = [FileSource(np.zeros(0, dtype=np.int16))]  # silence until we speak
    host = await Member.sign_in(server.url, "speaker", lambda: playing[0].next_frame())
    ear = await Member.sign_in(server.url, "webrtc-ear")
    player: HlsPlayer | None = None
    try:
        model = await host.client.create_room("On air")
        await ear.client.join(model.room_id)
        await host.start_audio()
        await ear.link.start()  # pulled below, on the same clock as the HLS player
        await asyncio.wait_for(ear.link.connected.wait(), 20)
        await host.link.press()
        url = f"{server.http_url}/hls/{model.room_id}/index.m3u8"
        player = HlsPlayer(url)
        player.start()
        assert await asyncio.to_thread(player.opened.wait, 15.0), player.error

        # Both ears pulled on one 20 ms clock, as two sound cards would be.
        webrtc: list[NDArray[np.int16]] = []
        hls: list[NDArray[np.int16]] = []
        start, n, mark = time.monotonic(), 0, 0
        seconds = spoken.size / SAMPLE_RATE + TARGET_DELAY + 1.5
        while n * FRAME_SAMPLES < seconds * SAMPLE_RATE:
            n += 1
            await asyncio.sleep(
                max(0.0, start + n * FRAME_SAMPLES / SAMPLE_RATE - time.monotonic())
            )
            if n == 25:  # half a second in: the words start now, at the speaker
                playing[0] = FileSource(spoken)
                mark = len(webrtc)
            webrtc.append(ear.link.next_frame())
            hls.append(player.next_frame())
    finally:
        if player is not None:
            await asyncio.to_thread(player.close)
        await host.close()
        await ear.close()

    live = np.concatenate(webrtc[mark:])
    broadcast = np.concatenate(hls[mark:])
    live_lag, _ = normalized_xcorr(spoken, live)
    hls_lag, _ = normalized_xcorr(spoken, broadcast)
    # The same words, after alignment: AAC of the mix against Opus of the same
    # mix, window by window (either side's playout may shift by a frame).
    correlation = windowed_similarity(live, broadcast)
    similarity = windowed_similarity(spoken, broadcast)
    control = windowed_similarity(unrelated, broadcast)  # the measure tells speech apart
    delay = hls_lag / SAMPLE_RATE
    print(
        f"HLS delay behind the speaker {delay:.2f} s"
        f" (WebRTC {live_lag / SAMPLE_RATE * 1e3:.0f} ms),"
        f" correlation with the WebRTC listener {correlation:.3f}, speech similarity"
        f" {similarity:.2f}, underruns {player.queue.underruns if player else '-'}"
    )
    assert correlation >= 0.9
    assert similarity > 0.6 and control < 0.35
    assert 0 < delay <= TARGET_DELAY


async def test_the_playlist_opens_in_pyav_as_any_player_would(server: RunningServer) -> None:
    host = await Member.sign_in(server.url, "host")
    try:
        model = await host.client.create_room("On air")
        plane = server.hub.voice.ensure_plane(model.room_id)
        assert plane is not None
        plane.add_local_source("tone", ToneSource(440).next_frame)  # type: ignore[attr-defined]
        url = f"{server.http_url}/hls/{model.room_id}/index.m3u8"

        def probe() -> tuple[str, str, int, int, float]:
            # FFmpeg's defaults, as ffplay or ffprobe would open it.
            with av.open(url, timeout=10.0) as container:
                stream = container.streams.audio[0]
                samples = []
                for frame in container.decode(stream):
                    samples.append(frame.to_ndarray()[0])
                    if sum(s.size for s in samples) >= SAMPLE_RATE:
                        break
                audio = np.concatenate(samples)
                return (
                    container.format.name,
                    stream.codec_context.name,
                    stream.sample_rate,
                    stream.channels,
                    peak_frequency(audio[4800:]),
                )

        form, codec, rate, channels, frequency = await asyncio.to_thread(probe)
    finally:
        await host.close()
    assert form == "hls" and codec == "aac" and (rate, channels) == (SAMPLE_RATE, 1)
    assert abs(frequency - 440) < 2.0
