"""Recording a room: the audience's Opus packets muxed into an Ogg file.

The packets are the ones RoomMedia already encoded for the listeners (encode
once: recording costs no second encode). The mixer tick only appends each
packet to a queue; a writer thread muxes (PyAV's ogg muxer) and writes, so a
slow or full disk never stalls the 20 ms clock. A write error stops the
writer and is reported once through `on_error`, on the event loop.

Opening writes the header pages through to the file at once, so that a disk
with no room fails the start (OSError) rather than the first tick after an
`ok`. The size reported at the end is the file's on disk: after a failed
write, bytes still buffered in memory never made it there.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av

from app.dsp import FRAME_SAMPLES, SAMPLE_RATE

logger = logging.getLogger(__name__)

_TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)
# Packets the writer may fall behind by (30 s) before we call the disk too slow.
MAX_BACKLOG = 1_500


@dataclass(frozen=True, slots=True)
class RecordingResult:
    bytes: int
    duration: float  # seconds of audio written
    error: str | None  # why writing stopped early, if it did


class OggOpusRecorder:
    """Build with `await OggOpusRecorder.open(path, on_error)`; feed `write` per tick."""

    def __init__(
        self,
        file: BinaryIO,
        container: av.container.OutputContainer,
        stream: av.audio.stream.AudioStream,
        on_error: Callable[[str], None],
        loop: asyncio.AbstractEventLoop,
        path: Path | None = None,
    ) -> None:
        self._file = file
        self._path = path
        self._container = container
        self._stream = stream
        self._on_error = on_error
        self._loop = loop
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._packets = 0
        self._bytes = 0
        self._error: str | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="recorder", daemon=True)
        self._thread.start()

    @classmethod
    async def open(cls, path: Path, on_error: Callable[[str], None]) -> OggOpusRecorder:
        """Create the file and its Ogg/Opus header; OSError if it cannot be created."""
        file, container, stream = await asyncio.to_thread(_open, path)
        return cls(file, container, stream, on_error, asyncio.get_running_loop(), path)

    def write(self, payload: bytes) -> None:
        """Queue one 20 ms Opus packet; called on the mixer tick, never blocks."""
        if self._stopped or self._error is not None:
            return
        if self._queue.qsize() > MAX_BACKLOG:
            self._fail("the disk is too slow: recording fell 30 s behind")
            return
        self._queue.put(payload)

    async def stop(self) -> RecordingResult:
        """Write what is queued, finish the file, and say how it went."""
        if not self._stopped:
            self._stopped = True
            self._queue.put(None)
        await asyncio.to_thread(self._thread.join)
        return RecordingResult(
            bytes=self._bytes,
            duration=self._packets * FRAME_SAMPLES / SAMPLE_RATE,
            error=self._error,
        )

    # -- the writer thread -------------------------------------------------

    def _run(self) -> None:
        try:
            while (payload := self._queue.get()) is not None:
                if self._error is None:
                    self._mux(payload)
                    if self._queue.empty():
                        self._file.flush()  # hand a page to the OS without waiting for more
            self._container.close()  # the last page, marked end-of-stream
            self._file.flush()
        except Exception as exc:  # OSError (full disk), av.FFmpegError: stop, never crash
            self._fail(_reason(exc))
        finally:
            self._close_quietly()

    def _mux(self, payload: bytes) -> None:
        packet = av.Packet(payload)
        packet.stream = self._stream
        packet.pts = packet.dts = self._packets * FRAME_SAMPLES
        packet.duration = FRAME_SAMPLES
        packet.time_base = _TIME_BASE
        self._container.mux(packet)
        self._packets += 1
        self._bytes = self._file.tell()

    def _fail(self, reason: str) -> None:
        if self._error is not None:
            return
        self._error = reason
        logger.warning("recording stopped: %s", reason)
        # A closed loop raises RuntimeError: then nobody is left to tell.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._on_error, reason)

    def _close_quietly(self) -> None:
        try:
            self._bytes = self._file.tell()
            self._file.close()
        except OSError as exc:  # the buffered tail did not fit either
            if self._error is None:
                self._fail(_reason(exc))
        # What reached the disk, whatever tell() counted in the buffer.
        if self._path is not None and self._path.is_file():
            with contextlib.suppress(OSError):
                self._bytes = os.stat(self._path).st_size


def _open(path: Path) -> tuple[BinaryIO, av.container.OutputContainer, av.audio.stream.AudioStream]:
    file = path.open("wb")
    try:
        container = av.open(file, "w", format="ogg")
        # The stream's parameters (OpusHead) come from a libopus encoder set up
        # like RoomMedia's; it is opened for the header only and never encodes.
        stream = container.add_stream("libopus", rate=SAMPLE_RATE)
        stream.codec_context.layout = "mono"
        stream.codec_context.format = "s16"
        stream.time_base = _TIME_BASE
        container.start_encoding()  # the header pages
        file.flush()  # now, so that a full disk fails the start, not the first tick
    except BaseException:
        with contextlib.suppress(OSError):
            file.close()
        raise
    return file, container, stream


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
