"""Playing a replay (an Ogg Opus file over HTTP) with pause and seek.

`ReplayPlayer` decodes with PyAV on a thread, as `HlsPlayer` does, into the
same `PcmQueue`, and playback pulls 20 ms frames with `next_device_frame()`,
so the audio engine plays it unchanged. FFmpeg's HTTP reader seeks with
Range requests. `ReplayCursor` holds what needs no I/O: where playback is,
and which decoded audio belongs to the current seek (a seek lands on the Ogg
page before the target; the samples before it are cut, so playback starts
where it was asked to).
"""

from __future__ import annotations

import logging
import threading

import av
import numpy as np
from numpy.typing import NDArray

from app.dsp import FRAME_SAMPLES, SAMPLE_RATE
from app.media.client.hls import PcmQueue

logger = logging.getLogger(__name__)

AHEAD_SECONDS = 2.0  # decoded ahead of playback, at most
QUEUE_SECONDS = 10.0  # the queue's own bound, never reached with the above
PRIME_SECONDS = 0.1  # a local decoder keeps up easily: start almost at once
IO_TIMEOUT = 15.0  # seconds for the server to answer (each connection, each read)


class ReplayCursor:
    """Where playback is (seconds into the replay), thread-safe.

    `seek` starts a new generation; decoded audio handed to `accept` with the
    generation it was decoded for is cut to start at the target, and audio of
    an older generation is dropped. `played` advances the position by what
    the device took.
    """

    def __init__(self, duration: float) -> None:
        self.duration = max(0.0, duration)
        self.generation = 0
        self._target = 0.0
        self._base = 0.0
        self._played = 0
        self._lock = threading.Lock()

    @property
    def position(self) -> float:
        with self._lock:
            return min(self.duration, self._base + self._played / SAMPLE_RATE)

    def seek(self, seconds: float) -> int:
        with self._lock:
            target = min(max(0.0, seconds), self.duration)
            self.generation += 1
            self._target = self._base = target
            self._played = 0
            return self.generation

    def accept(
        self, generation: int, start: float, pcm: NDArray[np.int16]
    ) -> NDArray[np.int16] | None:
        """The part of `pcm` (decoded from `start` seconds on) to play, or None."""
        with self._lock:
            if generation != self.generation:
                return None
            skip = round((self._target - start) * SAMPLE_RATE)
        if skip >= len(pcm):
            return None
        return pcm[skip:] if skip > 0 else pcm

    def played(self, generation: int, samples: int) -> None:
        with self._lock:
            if generation == self.generation:
                self._played += samples


class ReplayPlayer:
    """Plays `url` from `start()` until `close()`; `pause`, `resume`, `seek`."""

    def __init__(self, url: str, duration: float) -> None:
        self.url = url
        self.cursor = ReplayCursor(duration)
        self.queue = PcmQueue(QUEUE_SECONDS, PRIME_SECONDS)
        self.paused = False
        self.ended = False  # decoded to the end (what is queued still plays)
        self.error: str | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="replay-player", daemon=True)

    @property
    def position(self) -> float:
        return self.cursor.position

    @property
    def duration(self) -> float:
        return self.cursor.duration

    def start(self) -> None:
        self._thread.start()

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    def seek(self, seconds: float) -> None:
        """Play from `seconds` on (the decoder starts over there at once)."""
        with self._lock:
            self.cursor.seek(seconds)
            self.queue = PcmQueue(QUEUE_SECONDS, PRIME_SECONDS)
            self.ended = False
        self._wake.set()

    def next_frame(self) -> NDArray[np.int16]:
        """20 ms of int16 mono at 48 kHz; silence while paused or buffering."""
        if self.paused:
            return np.zeros(FRAME_SAMPLES, np.int16)
        with self._lock:
            queue, generation = self.queue, self.cursor.generation
        was_playing = queue.playing
        frame = queue.pull()
        if was_playing or queue.playing:
            self.cursor.played(generation, FRAME_SAMPLES)
        return frame

    def next_device_frame(self) -> NDArray[np.int16]:
        return self.next_frame()

    def close(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    # -- the decoding thread -----------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            generation = self.cursor.generation
            try:
                self._decode_from(generation)
            except Exception as exc:  # av.FFmpegError, OSError: say so, wait for a seek
                self.error = str(exc) or type(exc).__name__
                logger.warning("replay: %s (%s)", self.error, self.url)
            # Decoded to the end (or failed): wait for a seek or the close.
            while generation == self.cursor.generation and not self._stop.is_set():
                self._wake.wait(0.1)
                self._wake.clear()

    def _decode_from(self, generation: int) -> None:
        with self._lock:
            queue = self.queue
            target = self.cursor.position
        with av.open(self.url, timeout=(IO_TIMEOUT, IO_TIMEOUT)) as container:
            stream = container.streams.audio[0]
            if target > 0 and stream.time_base is not None:
                container.seek(int(target / stream.time_base), stream=stream, backward=True)
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            for frame in container.decode(stream):
                if self._stop.is_set() or generation != self.cursor.generation:
                    return  # closed, or a new seek: start over there
                start = float(frame.time) if frame.time is not None else target
                for out in resampler.resample(frame):
                    pcm = out.to_ndarray().reshape(-1).astype(np.int16)
                    kept = self.cursor.accept(generation, start, pcm)
                    start += len(pcm) / SAMPLE_RATE
                    if kept is not None:
                        queue.push(kept)
                self.error = None
                # Keep a little ahead of playback, no more.
                while queue.buffered_seconds > AHEAD_SECONDS:
                    if self._stop.is_set() or generation != self.cursor.generation:
                        return
                    self._wake.wait(0.05)
                    self._wake.clear()
        if generation == self.cursor.generation:
            self.ended = True
