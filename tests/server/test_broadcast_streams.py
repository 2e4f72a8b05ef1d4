"""Broadcasts with fakes of its writer protocol: restarts after a failure, late reports."""

import asyncio
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from app.server.broadcast.streams import Broadcasts, HlsWriter, Unavailable
from app.server.broadcast.tokens import StreamTokens
from app.server.rooms import Room
from app.server.voice_rooms import MediaPlane, VoiceRooms


class Plane:
    """The part of a media plane that Broadcasts uses."""

    def __init__(self) -> None:
        self.taps: list[Callable[[NDArray[np.int16]], None]] = []

    def start(self) -> None:
        pass

    def add_mix_tap(self, tap: Callable[[NDArray[np.int16]], None]) -> None:
        self.taps.append(tap)

    def remove_mix_tap(self, tap: Callable[[NDArray[np.int16]], None]) -> None:
        self.taps.remove(tap)

    def add_packet_tap(self, tap: Callable[[bytes], None]) -> None:
        pass

    def remove_packet_tap(self, tap: Callable[[bytes], None]) -> None:
        pass


class Writer:
    """Writes a playlist at once; `fail()` reports as the real writer's thread would."""

    def __init__(self, directory: Path, on_error: Callable[[str], None]) -> None:
        self.directory = directory
        self.on_error = on_error
        self.running = True
        (directory / "index.m3u8").write_text("#EXTM3U\n")

    def write(self, pcm: NDArray[np.int16]) -> None:
        pass

    async def stop(self) -> None:
        self.running = False

    def fail(self) -> None:
        self.running = False
        self.on_error("No space left on device")


async def test_a_late_report_from_a_replaced_writer_stops_nothing(tmp_path: Path) -> None:
    room = Room("r1", "t", "", False, 5, 1, 0.0, 60.0)
    plane = Plane()
    writers: list[Writer] = []

    async def open_writer(directory: Path, on_error: Callable[[str], None]) -> HlsWriter:
        writers.append(Writer(directory, on_error))
        return writers[-1]

    voice = VoiceRooms(lambda: plane)  # type: ignore[arg-type, return-value]
    broadcasts = Broadcasts(
        lambda room_id: room if room_id == "r1" else None,
        voice,
        tmp_path,
        open_writer,
        StreamTokens(b"k" * 32),
        retry_after=0.0,
    )
    first = await broadcasts.playlist(room)
    writers[0].fail()
    await asyncio.sleep(0.05)  # its files go in the background
    assert not first.parent.exists() and plane.taps == []
    second = await broadcasts.playlist(room)  # retried: a new writer, a new directory
    assert second.parent != first.parent and len(plane.taps) == 1
    writers[0].on_error("a second report, late")  # from the writer that is gone
    await asyncio.sleep(0.05)
    assert broadcasts.streaming("r1") and second.is_file()
    await broadcasts.close()
    assert not second.parent.exists()


async def test_a_failed_writer_is_not_retried_at_once(tmp_path: Path) -> None:
    room = Room("r1", "t", "", False, 5, 1, 0.0, 60.0)
    writers: list[Writer] = []

    async def open_writer(directory: Path, on_error: Callable[[str], None]) -> HlsWriter:
        writers.append(Writer(directory, on_error))
        return writers[-1]

    plane: MediaPlane = Plane()  # type: ignore[assignment]
    broadcasts = Broadcasts(
        lambda _r: room, VoiceRooms(lambda: plane), tmp_path, open_writer, StreamTokens(b"k" * 32)
    )
    await broadcasts.playlist(room)
    writers[0].fail()
    await asyncio.sleep(0)
    with pytest.raises(Unavailable) as refused:
        await broadcasts.playlist(room)
    assert refused.value.retry_after >= 1
    assert len(writers) == 1
    await broadcasts.close()
