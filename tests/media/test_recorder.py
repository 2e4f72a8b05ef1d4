"""The recorder: the audience's own packets into an Ogg/Opus file, off the mixer's thread."""

import asyncio
import errno
from pathlib import Path

import av
import numpy as np
import pytest
from numpy.typing import NDArray

from app.dsp.analysis import peak_frequency
from app.dsp.signals import ToneSource
from app.media.ice import LOOPBACK_ONLY
from app.media.server.recorder import OggOpusRecorder
from app.media.server.room import RoomMedia
from tests.support.disks import fill, ram_disks


def decode(path: Path) -> NDArray[np.float32]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "opus"
        frames = [f.to_ndarray().reshape(-1) for f in container.decode(stream)]
    return np.concatenate(frames).astype(np.float32)


async def test_the_audience_packets_become_a_playable_file(tmp_path: Path) -> None:
    room = RoomMedia(LOOPBACK_ONLY)
    room.add_local_source("7", ToneSource(440).next_frame)
    errors: list[str] = []
    recorder = await OggOpusRecorder.open(tmp_path / "r.ogg", errors.append)
    tapped: list[bytes] = []
    room.add_audience_tap(tapped.append)
    room.add_audience_tap(recorder.write)
    for _ in range(100):  # 2 s of ticks, driven by hand
        room.tick()
    room.remove_audience_tap(recorder.write)
    room.tick()  # no longer recorded
    result = await recorder.stop()

    # Encode once: the file holds exactly the packets the listeners were sent.
    assert room.audience.packets == 101 and len(tapped) == 101
    assert room.audience.octets == sum(len(p) for p in tapped)
    assert errors == [] and result.error is None
    assert result.duration == pytest.approx(2.0)
    assert result.bytes == (tmp_path / "r.ogg").stat().st_size > sum(len(p) for p in tapped[:100])
    audio = decode(tmp_path / "r.ogg")
    # libopus's pre-skip (312 samples) is trimmed by the decoder.
    assert abs(len(audio) / 48_000 - 2.0) < 0.02
    assert abs(peak_frequency(audio[4800:]) - 440) < 2.0


async def test_a_disk_with_no_room_fails_the_open() -> None:
    # The header goes to the file at once: a full disk refuses the start,
    # rather than the first tick after the moderator was told it began.
    with pytest.raises(OSError) as caught:
        await OggOpusRecorder.open(Path("/dev/full"), lambda _reason: None)
    assert caught.value.errno == errno.ENOSPC


async def test_a_disk_filling_up_is_reported_once_and_the_size_is_the_files(
    tmp_path: Path,
) -> None:
    with ram_disks(tmp_path) as mount:
        disk = mount("256k")
        errors: list[str] = []
        recorder = await OggOpusRecorder.open(disk / "r.ogg", errors.append)
        for _ in range(50):
            recorder.write(b"\xf8\xff\xfe" * 20)  # an Opus packet of silence
        await asyncio.sleep(0.2)
        fill(disk)
        for _ in range(500):
            recorder.write(b"\xf8\xff\xfe" * 20)
            await asyncio.sleep(0)
        result = await recorder.stop()
        await asyncio.sleep(0)  # the report is delivered on the event loop
        assert errors == ["No space left on device"]
        assert result.error == "No space left on device"
        # What tell() counted in the buffer never reached the disk: the size
        # reported is the file's.
        assert result.bytes == (disk / "r.ogg").stat().st_size > 0


async def test_a_file_that_cannot_be_created_fails_at_open(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        await OggOpusRecorder.open(tmp_path / "missing" / "r.ogg", lambda _reason: None)


async def test_writing_never_waits_for_the_disk(tmp_path: Path) -> None:
    recorder = await OggOpusRecorder.open(tmp_path / "r.ogg", lambda _reason: None)
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(1000):
        recorder.write(bytes(80))
    # Queuing 20 s of packets takes far less than one 20 ms tick.
    assert loop.time() - start < 0.02
    assert (await recorder.stop()).duration == pytest.approx(20.0)
