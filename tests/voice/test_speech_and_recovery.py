"""Speech made with espeak-ng arrives intact; dropped connections recover."""

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from app.dsp.analysis import normalized_xcorr
from app.dsp.signals import ToneSource
from app.media.wavfile import FileSource, read_audio
from app.server.app import RunningServer

from .helpers import Member, hears, until_heard, windowed_similarity


def espeak(path: Path, text: str) -> NDArray[np.int16]:
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True)
    return read_audio(path)


@pytest.fixture
async def pair(server: RunningServer) -> AsyncIterator[tuple[Member, Member]]:
    host = await Member.sign_in(server.url, "host", ToneSource(440).next_frame)
    listener = await Member.sign_in(server.url, "listener")
    try:
        model = await host.client.create_room("Speech")
        await listener.client.join(model.room_id)
        await host.start_audio()
        await listener.start_audio()
        yield host, listener
    finally:
        await host.close()
        await listener.close()


async def test_spoken_words_arrive_intact(server: RunningServer, tmp_path: Path) -> None:
    spoken = espeak(tmp_path / "a.wav", "Selamat datang di Panggung. Raise your hand to speak.")
    unrelated = espeak(tmp_path / "b.wav", "Nine purple elephants quietly ate seven oranges.")
    playing = [FileSource(np.zeros(0, dtype=np.int16))]  # silence until we speak
    host = await Member.sign_in(server.url, "speaker", lambda: playing[0].next_frame())
    listener = await Member.sign_in(server.url, "ear")
    try:
        model = await host.client.create_room("Speech")
        await listener.client.join(model.room_id)
        await host.start_audio()
        await listener.start_audio()
        await host.link.press()
        await asyncio.sleep(0.5)
        mark = len(listener.heard)
        playing[0] = FileSource(spoken)
        await asyncio.sleep(playing[0].seconds + 1.0)
        heard = np.concatenate(listener.heard[mark:])
    finally:
        await host.close()
        await listener.close()
    similar = windowed_similarity(spoken, heard)
    control = windowed_similarity(unrelated, heard)
    lag, _ = normalized_xcorr(spoken, heard)
    print(
        f"speech similarity {similar:.2f} (unrelated speech {control:.2f}), lag {lag / 48:.0f} ms"
    )
    assert similar > 0.6 and control < 0.35
    # Timing: the words start after the path's delay, not before, and inside
    # the 1 s the recording runs past them. Latency itself is the latency
    # benchmark's (p50 41 ms); beside the soaks on 2 cores CI once saw 773 ms.
    assert 0 <= lag < int(0.9 * 48_000), f"lag {lag / 48:.0f} ms"


async def test_a_dropped_peer_connection_comes_back_and_audio_resumes(
    server: RunningServer, pair: tuple[Member, Member]
) -> None:
    host, listener = pair
    await host.link.press()
    await until_heard(listener, 440)
    room_id = listener.client.model.room_id  # type: ignore[union-attr]
    # The server loses the listener's peer connection (as after a network fault).
    server.hub.voice.drop(room_id, listener.user_id)
    lost = time.monotonic()
    await until_heard(listener, 440, timeout=10)
    assert listener.link.rebuilds == 1
    assert time.monotonic() - lost < 3.0 + 0.5  # one 0.5 s listening window of slack


async def test_audio_resumes_after_the_signaling_connection_drops(
    pair: tuple[Member, Member],
) -> None:
    host, listener = pair
    await host.link.press()
    await until_heard(listener, 440)
    await listener.client.conn.close()  # the WebSocket drops; the client reconnects
    await listener.client.wait_until(lambda m: listener.client.reconnects == 1, timeout=10)
    await until_heard(listener, 440, timeout=10)
    assert hears(await listener.record(1.0), 440)
