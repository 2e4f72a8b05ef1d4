"""Speech through the real capture path, the server mix and the real playback
path: espeak-ng -> paplay -> virtual mic -> PortAudio -> WebRTC -> server ->
WebRTC -> PortAudio -> virtual speakers -> parec."""

import asyncio
import time
from pathlib import Path

from app.audio.virtual import VirtualPulse
from app.dsp.analysis import normalized_xcorr, rms_dbfs
from app.server.app import RunningServer
from tests.support.pulse import Parec, play
from tests.voice.helpers import windowed_similarity

from .helpers import RATE, DeviceMember, espeak


async def test_speech_from_the_microphone_reaches_the_listeners_speakers(
    sound: VirtualPulse, server: RunningServer, tmp_path: Path
) -> None:
    spoken = espeak(tmp_path / "a.wav", "Selamat datang di Panggung. Raise your hand to speak.")
    unrelated = espeak(tmp_path / "b.wav", "Nine purple elephants quietly ate seven oranges.")
    speaker = await DeviceMember.sign_in(server.url, "speaker", playback=False)
    listener = await DeviceMember.sign_in(server.url, "listener")
    rec = Parec(tmp_path / "spk.raw")
    try:
        room = await speaker.client.create_room("Devices")
        await listener.client.join(room.room_id)
        await speaker.start_audio()
        await listener.start_audio()
        await speaker.link.press()
        await rec.ready()
        await asyncio.sleep(1.0)
        played_at = time.monotonic() - rec.started
        await asyncio.to_thread(play(tmp_path / "a.wav").wait, 30)
        await asyncio.sleep(1.5)
        # Released: the microphone still hears speech, the room must not.
        await speaker.link.release()
        await asyncio.sleep(1.0)
        released_at = time.monotonic() - rec.started
        await asyncio.to_thread(play(tmp_path / "b.wav").wait, 30)
        await asyncio.sleep(0.5)
        ended_at = time.monotonic() - rec.started
        stats = listener.engine.stats()
    finally:
        recording = rec.stop()
        await speaker.close()
        await listener.close()
    talking = recording[: int(released_at * RATE)]
    after = recording[int(released_at * RATE) : int(ended_at * RATE)]
    similar = windowed_similarity(spoken, talking)
    control = windowed_similarity(unrelated, talking)
    lag, _ = normalized_xcorr(spoken, talking)
    delay = lag / RATE - played_at
    print(f"similarity {similar:.2f} (control {control:.2f}), delay {delay * 1e3:.0f} ms, {stats}")
    assert similar >= 0.5 and control < 0.35
    # Timing: paplay start + the whole path, never before it was said.
    assert 0.0 <= delay < 1.0, f"delay {delay * 1e3:.0f} ms"
    assert len(after) > RATE and rms_dbfs(after) < -50, rms_dbfs(after)
    assert stats["output_errors"] == 0
