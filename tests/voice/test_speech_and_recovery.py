"""Speech made with espeak-ng arrives intact; dropped connections recover."""

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from app.client.changes import MediaMoved
from app.dsp.analysis import normalized_xcorr
from app.dsp.signals import ToneSource
from app.media.wavfile import FileSource, read_audio
from app.server.app import RunningServer

from .helpers import Member, hears, until_heard, windowed_similarity

CONNECT_TIMEOUT = 2.0  # the link's own, shortened here


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


async def test_a_move_seen_while_rebuilding_builds_once_more_and_audio_resumes(
    pair: tuple[Member, Member], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The room's media plane moves (a new origin) while the link's offer is on
    its way: the answer may be from the plane that went away, so the link
    builds once more after it, and the room is heard."""
    host, listener = pair
    await host.link.press()
    await until_heard(listener, 440)
    signal = listener.link._signal
    moved_during: list[str] = []

    async def move_while_offering(offer: str) -> str:
        answer = asyncio.ensure_future(signal(offer))
        if not moved_during:
            moved_during.append(offer)
            await asyncio.sleep(0)  # the offer is sent
            listener.client.changes.publish(MediaMoved())
        return await answer

    monkeypatch.setattr(listener.link, "_signal", move_while_offering)
    listener.client.changes.publish(MediaMoved())  # starts a rebuild
    await asyncio.wait_for(_until(lambda: listener.link.rebuilds == 2), 10)
    await until_heard(listener, 440, timeout=10)
    assert listener.link.connected.is_set() and len(moved_during) == 1
    await asyncio.sleep(1.0)
    assert listener.link.rebuilds == 2  # and no more
    assert hears(await listener.record(1.0), 440)


async def test_a_rebuilt_connection_that_never_comes_up_is_built_again(
    server: RunningServer, pair: tuple[Member, Member], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer comes from a media plane that then goes away without a word
    (the server forgets the connection before ICE): the link does not wait out
    aioice's own failure but builds again after its connect timeout."""
    host, listener = pair
    await host.link.press()
    await until_heard(listener, 440)
    room_id = listener.client.model.room_id  # type: ignore[union-attr]
    signal = listener.link._signal
    forgotten: list[str] = []

    async def answer_then_forget(offer: str) -> str:
        answer = await signal(offer)
        if not forgotten:
            forgotten.append(answer)
            server.hub.voice.drop(room_id, listener.user_id)
        return answer

    monkeypatch.setattr(listener.link, "_signal", answer_then_forget)
    monkeypatch.setattr(listener.link, "_connect_timeout", CONNECT_TIMEOUT)
    moved = time.monotonic()
    listener.client.changes.publish(MediaMoved())
    await until_heard(listener, 440, timeout=20)
    assert listener.link.rebuilds == 2 and len(forgotten) == 1
    assert time.monotonic() - moved < CONNECT_TIMEOUT + 3.0


async def _until(predicate: Callable[[], bool]) -> None:
    while not predicate():  # noqa: ASYNC110 - the link has no event for its count
        await asyncio.sleep(0.05)


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
