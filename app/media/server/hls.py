"""The audience mix as live HLS: AAC-LC in fragmented MP4, ~1 s segments.

FFmpeg's own `hls` muxer (through PyAV) cuts the segments, writes the
init section and the sliding playlist, and deletes segments that fell out
of it; nothing of the format is written here. The mixer tick only queues
each 20 ms frame of the mix; a writer thread encodes (FFmpeg's native
`aac`) and muxes, so the WebRTC audience never waits for it.

The muxer's files go through our own file objects (PyAV's `io_open`): the
hls muxer ignores write errors of its segments and playlists (a full disk
leaves empty files behind a playlist that goes on), so each file is
collected in memory and written to disk when the muxer closes it, through
a temporary name and a rename (a reader never sees half a file). A write
that fails stops the writer with one report through `on_error`; the room
goes on.

Segments end a little before each wall-clock second (`HlsSettings.wall_phase`,
app/media/server/hls_phase.py): caches refresh the playlist at whole seconds.

Names carry a run id (`RUN-init.mp4`, `RUN-000042.m4s`): a writer started
again for the same room never reuses a segment URL, so caches may keep
segments forever (`immutable`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import io
import logging
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray

from app.dsp import FRAME_SAMPLES, FRAME_SECONDS, SAMPLE_RATE
from app.media.server.hls_phase import DROP, SegmentPhase

logger = logging.getLogger(__name__)

PLAYLIST = "index.m3u8"
_TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)
_PART = ".part"  # our temporary names, never served
_SILENCE = np.zeros(FRAME_SAMPLES, np.int16)  # read only: the encoder copies it


@dataclass(frozen=True, slots=True)
class HlsSettings:
    segment_seconds: float = 1.0
    # Segments in the playlist (a player starts a few from its end, so a
    # longer window adds no delay, only room for a slow client to catch up).
    window: int = 6
    bitrate: int = 64_000
    # Frames the encoder may fall behind by before the writer gives up (5 s).
    max_backlog: int = round(5.0 / FRAME_SECONDS)
    # Where in each wall-clock second a segment ends (published some 40 ms
    # later, after the encoder's delay), so that a cache refreshing the
    # playlist at the second lists it; None: where the stream's first frame
    # falls (a mix driven faster than real time, as tests do).
    wall_phase: float | None = 0.85


class HlsWriter:
    """Build with `await HlsWriter.open(directory, on_error)`; feed `write` per tick."""

    def __init__(
        self,
        directory: Path,
        on_error: Callable[[str], None],
        loop: asyncio.AbstractEventLoop,
        settings: HlsSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self.run = secrets.token_hex(4)
        self.settings = settings
        self._on_error = on_error
        self._loop = loop
        self._queue: queue.SimpleQueue[NDArray[np.int16] | None] = queue.SimpleQueue()
        self._error: str | None = None
        self._stopped = False
        self.frames = 0  # encoded so far (writer thread)
        self._clock = clock
        self.phase = (
            None
            if settings.wall_phase is None
            else SegmentPhase(settings.wall_phase, settings.segment_seconds)
        )
        self.files_written = 0
        self._container = av.open(
            str(directory / PLAYLIST),
            "w",
            format="hls",
            options={
                "hls_time": str(settings.segment_seconds),
                "hls_list_size": str(settings.window),
                "hls_flags": "delete_segments+independent_segments+program_date_time",
                "hls_segment_type": "fmp4",
                "hls_segment_filename": str(directory / f"{self.run}-%06d.m4s"),
                "hls_fmp4_init_filename": f"{self.run}-init.mp4",
                # RFC 8216 6.2.2: a segment that left the playlist stays available
                # for its duration plus the playlist's (a slow client may still ask).
                "hls_delete_threshold": str(settings.window + 1),
            },
            io_open=self._io_open,
        )
        self._stream = self._container.add_stream(
            "aac", rate=SAMPLE_RATE, options={"aac_coder": "fast"}
        )
        self._stream.codec_context.layout = "mono"
        self._stream.bit_rate = settings.bitrate
        self._thread = threading.Thread(target=self._run, name="hls-writer", daemon=True)
        self._thread.start()

    @classmethod
    async def open(
        cls,
        directory: Path,
        on_error: Callable[[str], None],
        settings: HlsSettings | None = None,
    ) -> HlsWriter:
        """Create the directory and the muxer; OSError if the directory cannot be made."""
        await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
        return cls(directory, on_error, asyncio.get_running_loop(), settings or HlsSettings())

    @property
    def error(self) -> str | None:
        return self._error

    @property
    def running(self) -> bool:
        return not self._stopped and self._error is None

    def write(self, pcm: NDArray[np.int16]) -> None:
        """Queue one 20 ms frame of the mix; called on the mixer tick, never blocks."""
        if not self.running:
            return
        if self._queue.qsize() > self.settings.max_backlog:
            behind = self.settings.max_backlog * FRAME_SECONDS
            self._fail(f"the encoder fell {behind:g} s behind the room")
            return
        if self.phase is not None:
            silence = self.phase.place(self._clock())
            if silence == DROP:
                return
            for _ in range(silence):
                self._queue.put(_SILENCE)
        self._queue.put(pcm)

    async def stop(self) -> None:
        """Finish what is queued and close the muxer (its files stay; the caller owns them)."""
        if not self._stopped:
            self._stopped = True
            self._queue.put(None)
        await asyncio.to_thread(self._thread.join)

    # -- the writer thread -------------------------------------------------

    def _run(self) -> None:
        try:
            while (pcm := self._queue.get()) is not None:
                if self._error is None:
                    self._encode(pcm)
        except Exception as exc:  # av.FFmpegError: stop, never crash the server
            self._fail(str(exc) or type(exc).__name__)
        finally:
            with contextlib.suppress(Exception):  # closing writes the last segment
                self._container.close()

    def _encode(self, pcm: NDArray[np.int16]) -> None:
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self.frames * FRAME_SAMPLES
        frame.time_base = _TIME_BASE
        self.frames += 1
        for packet in self._stream.encode(frame):  # PyAV re-frames 960 -> AAC's 1024
            self._container.mux(packet)

    def _io_open(self, url: str, flags: int, options: dict[str, str]) -> _MuxerFile:
        path = Path(url)
        if path.parent != self.directory:  # the muxer names only files of ours
            raise OSError(f"the hls muxer asked for {url}, outside {self.directory}")
        return _MuxerFile(path, self._written)

    def _written(self, error: OSError | None) -> None:
        if error is None:
            self.files_written += 1
        else:
            self._fail(_reason(error))

    def _fail(self, reason: str) -> None:
        if self._error is not None:
            return
        self._error = reason
        logger.warning(
            "broadcast (HLS) stopped in %s: %s; the room goes on", self.directory, reason
        )
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is left to tell
            self._loop.call_soon_threadsafe(self._on_error, reason)


class _MuxerFile(io.BytesIO):
    """One file of the muxer's, put on disk whole when the muxer closes it."""

    def __init__(self, path: Path, done: Callable[[OSError | None], None]) -> None:
        super().__init__()
        self._path = path
        self._done = done

    def close(self) -> None:
        if not self.closed:
            error = None
            try:
                _replace(self._path, self.getvalue())
            except OSError as exc:
                error = exc
            self._done(error)
        super().close()


def _replace(path: Path, data: bytes) -> None:
    part = path.with_name(path.name + _PART)
    try:
        with part.open("wb") as file:
            file.write(data)
        os.replace(part, path)
    except OSError:
        with contextlib.suppress(OSError):
            part.unlink()
        raise


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__
