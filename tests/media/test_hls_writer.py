"""The HLS writer: the room's audience mix as AAC-LC in fMP4 segments, off the tick path."""

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray

from app.dsp import SAMPLE_RATE
from app.dsp.analysis import peak_frequency
from app.dsp.signals import ToneSource
from app.media.ice import LOOPBACK_ONLY
from app.media.server.hls import PLAYLIST, HlsSettings, HlsWriter
from app.media.server.room import RoomMedia
from tests.support.disks import fill, ram_disks

TICKS_PER_SECOND = 50
# Ticks driven by hand run far faster than the wall clock, which the writer
# would otherwise keep its segments in step with (tested apart below).
HAND_DRIVEN = HlsSettings(window=3, wall_phase=None)


def decode_playlist(path: Path) -> NDArray[np.float32]:
    """What any player gets: FFmpeg's own HLS demuxer on the playlist."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "aac"
        assert stream.codec_context.profile == "LC"
        assert stream.sample_rate == SAMPLE_RATE
        frames = [f.to_ndarray()[0] for f in container.decode(stream)]
    return np.concatenate(frames).astype(np.float32)


async def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - the writer thread has no event to wait on
            await asyncio.sleep(0.02)


async def test_the_mix_becomes_a_sliding_playlist_of_one_second_segments(tmp_path: Path) -> None:
    room = RoomMedia(LOOPBACK_ONLY)
    room.add_local_source("7", ToneSource(440).next_frame)
    errors: list[str] = []
    writer = await HlsWriter.open(tmp_path / "r", errors.append, HAND_DRIVEN)
    room.add_mix_tap(writer.write)
    for _ in range(12 * TICKS_PER_SECOND):  # 12 s of ticks, driven by hand
        room.tick()
    await wait_until(lambda: writer.frames == 12 * TICKS_PER_SECOND)
    room.remove_mix_tap(writer.write)
    room.tick()  # no longer written
    await writer.stop()

    assert errors == [] and writer.frames == 12 * TICKS_PER_SECOND
    playlist = (tmp_path / "r" / PLAYLIST).read_text()
    durations = [float(d) for d in re.findall(r"#EXTINF:([0-9.]+),", playlist)]
    segments = re.findall(rf"^({writer.run}-[0-9]{{6}}\.m4s)$", playlist, re.MULTILINE)
    # The window slides: 3 segments listed; behind it, the 4 that a client who
    # read an older playlist may still ask for (RFC 8216 6.2.2), then deleted.
    assert len(segments) == len(durations) == 3
    assert f'#EXT-X-MAP:URI="{writer.run}-init.mp4"' in playlist
    assert all(abs(d - 1.0) < 0.05 for d in durations[:-1])
    on_disk = sorted(p.name for p in (tmp_path / "r").glob("*.m4s"))
    first = int(segments[0][-10:-4])
    assert first == 9  # 12 s of ended segments (0..11), the last 3 listed
    assert on_disk == [f"{writer.run}-{n:06d}.m4s" for n in range(first - 4, first + 3)]
    assert not list((tmp_path / "r").glob("*.part"))

    audio = decode_playlist(tmp_path / "r" / PLAYLIST)
    assert abs(len(audio) / SAMPLE_RATE - sum(durations)) < 0.1
    assert abs(peak_frequency(audio[SAMPLE_RATE // 10 :]) - 440) < 2.0


async def test_a_new_writer_never_reuses_a_segment_name(tmp_path: Path) -> None:
    # Segments are served as immutable: a restarted broadcast must not reuse URLs.
    first = await HlsWriter.open(tmp_path / "a", lambda _r: None)
    second = await HlsWriter.open(tmp_path / "b", lambda _r: None)
    await first.stop()
    await second.stop()
    assert first.run != second.run and re.fullmatch("[0-9a-f]{8}", first.run)


async def test_a_full_disk_stops_the_writer_and_the_room_goes_on(tmp_path: Path) -> None:
    room = RoomMedia(LOOPBACK_ONLY)
    room.add_local_source("7", ToneSource(440).next_frame)
    errors: list[str] = []
    with ram_disks(tmp_path) as mount:
        disk = mount("256k")
        writer = await HlsWriter.open(disk / "r", errors.append, HAND_DRIVEN)
        room.add_mix_tap(writer.write)
        for _ in range(2 * TICKS_PER_SECOND):
            room.tick()
        await wait_until(lambda: writer.files_written >= 2)
        assert errors == []
        fill(disk)
        for _ in range(3 * TICKS_PER_SECOND):  # the ticks go on, whatever the disk does
            room.tick()
        await wait_until(lambda: errors != [])
        for _ in range(TICKS_PER_SECOND):
            room.tick()
        await writer.stop()
    # Reported once, with the disk's own words; the room never noticed.
    assert errors == ["No space left on device"]
    assert not writer.running
    assert room.audience.packets == 6 * TICKS_PER_SECOND


async def test_a_writer_that_falls_behind_gives_up_without_blocking_the_tick(
    tmp_path: Path,
) -> None:
    errors: list[str] = []
    writer = await HlsWriter.open(
        tmp_path / "r", errors.append, HlsSettings(max_backlog=10, wall_phase=None)
    )
    frame = ToneSource(440).next_frame()
    for _ in range(2_000):  # far faster than any encoder: the queue only grows
        writer.write(frame)
    await writer.stop()
    await asyncio.sleep(0)  # the report is delivered on the loop
    assert errors == ["the encoder fell 0.2 s behind the room"]
    assert writer.frames < 2_000


async def test_segments_end_where_the_wall_clock_says(tmp_path: Path) -> None:
    # A fake wall clock that the hand-driven ticks move 20 ms each: the first
    # frame at 0.37 s into a second gets 0.52 s of silence before it (segments
    # end at 0.85 s of each second), and a stall of 0.3 s is filled with silence.
    now = [1000.37]
    room = RoomMedia(LOOPBACK_ONLY)
    room.add_local_source("7", ToneSource(440).next_frame)
    (tmp_path / "r").mkdir()
    loop = asyncio.get_running_loop()
    writer = HlsWriter(
        tmp_path / "r", lambda _r: None, loop, HlsSettings(window=10), lambda: now[0]
    )
    room.add_mix_tap(writer.write)
    for n in range(4 * TICKS_PER_SECOND):
        if n == 2 * TICKS_PER_SECOND:
            now[0] += 0.3
        room.tick()
        now[0] += 0.02
    await writer.stop()
    assert writer.phase is not None and writer.phase.filled == 15
    assert writer.frames == 4 * TICKS_PER_SECOND + 26 + 15

    run = writer.run
    first = tmp_path / "first.mp4"
    first.write_bytes(
        (tmp_path / "r" / f"{run}-init.mp4").read_bytes()
        + (tmp_path / "r" / f"{run}-000000.m4s").read_bytes()
    )
    with av.open(str(first)) as container:
        audio = np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])
    # AAC's priming delay shifts the decoded start a little; keep clear of the edges.
    lead = int(0.52 * SAMPLE_RATE)
    assert np.sqrt(np.mean(audio[: lead - 2400] ** 2)) < 1e-3
    assert abs(peak_frequency(audio[lead + 2400 :]) - 440) < 2.0
