"""Listening to a room's broadcast (HLS) through FFmpeg's own HLS demuxer.

`HlsPlayer` opens the playlist with PyAV over HTTP on a thread, decodes
the AAC, resamples to 48 kHz mono s16 and queues it; playback pulls 20 ms
frames (`FRAME_SAMPLES`) with `next_frame()` / `next_device_frame()`,
exactly as it pulls the WebRTC listener's (`ClientPeer`), so the audio
engine plays either unchanged. The demuxer fetches a segment at a time,
about a second of audio each second; `PcmQueue` (no I/O, no threads of its
own) smooths that into frames, fills gaps with silence and bounds the
delay: audio beyond `max_seconds` is dropped from the old end, so a stall
never leaves the listener further behind for the rest of the room.
"""

from __future__ import annotations

import collections
import logging
import threading

import av
import numpy as np
from numpy.typing import NDArray

from app.dsp import FRAME_SAMPLES, SAMPLE_RATE

logger = logging.getLogger(__name__)

# Start at the newest segment (FFmpeg's default is three from the end: two
# seconds more behind live for nothing, since every segment is a keyframe).
LIVE_START_INDEX = -1
RECONNECT_DELAY = 1.0  # seconds before opening the playlist again after an error
# The most a player holds: a second beyond its prime (1.5 s), the segment
# arriving on top of what is left; beyond it is delay, dropped.
MAX_BUFFERED = 2.5


class PcmQueue:
    """Samples in, 20 ms frames out; thread-safe; silence when empty.

    Playing starts (and starts again after running dry) only once
    `prime_seconds` are buffered: segments come a second at a time, and a
    reload of the playlist can come up to half a second late (FFmpeg looks
    again after half a target duration), so a queue that started on one
    segment would be empty just as the next is due (1 s measured 14
    underruns in 90 s of two players; 1.5 s none). What is buffered beyond
    `max_seconds` is dropped from the old end: a player that started with a
    few segments at once, or got them in a burst after a stall, comes back
    to live instead of keeping that delay for the rest of the room.
    """

    def __init__(self, max_seconds: float = 4.0, prime_seconds: float = 1.5) -> None:
        self.max_samples = int(max_seconds * SAMPLE_RATE)
        self.prime_samples = int(prime_seconds * SAMPLE_RATE)
        self.playing = False
        self._chunks: collections.deque[NDArray[np.int16]] = collections.deque()
        self._buffered = 0
        self._lock = threading.Lock()
        self.underruns = 0  # times it ran dry while playing
        self.dropped = 0  # samples dropped to stay within max_samples

    @property
    def buffered_seconds(self) -> float:
        return self._buffered / SAMPLE_RATE

    def push(self, pcm: NDArray[np.int16]) -> None:
        with self._lock:
            self._chunks.append(pcm)
            self._buffered += len(pcm)
            excess = self._buffered - self.max_samples
            if excess > 0:
                self.dropped += self._take(excess).size

    def pull(self, samples: int = FRAME_SAMPLES) -> NDArray[np.int16]:
        with self._lock:
            if not self.playing and self._buffered < max(self.prime_samples, samples):
                return np.zeros(samples, np.int16)
            self.playing = True
            frame = self._take(samples)
            if frame.size < samples:
                self.underruns += 1
                self.playing = False
                frame = np.concatenate([frame, np.zeros(samples - frame.size, np.int16)])
            return frame

    def _take(self, samples: int) -> NDArray[np.int16]:
        parts: list[NDArray[np.int16]] = []
        wanted = samples
        while wanted > 0 and self._chunks:
            head = self._chunks[0]
            if len(head) <= wanted:
                parts.append(self._chunks.popleft())
                wanted -= len(head)
            else:
                parts.append(head[:wanted])
                self._chunks[0] = head[wanted:]
                wanted = 0
        taken = np.concatenate(parts) if parts else np.zeros(0, np.int16)
        self._buffered -= taken.size
        return taken


class HlsPlayer:
    """Plays `url` (an HLS playlist) until `close()`; reopens it after errors."""

    def __init__(self, url: str, *, max_seconds: float = MAX_BUFFERED) -> None:
        self.url = url
        self.queue = PcmQueue(max_seconds)
        self.error: str | None = None  # the last error, cleared once audio flows again
        self.opened = threading.Event()  # the playlist opened and audio is coming
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hls-player", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def next_frame(self) -> NDArray[np.int16]:
        """20 ms of int16 mono at 48 kHz; silence when nothing is buffered."""
        return self.queue.pull()

    def next_device_frame(self) -> NDArray[np.int16]:
        """For the audio engine, like ``ClientPeer.next_device_frame`` (always a whole frame)."""
        return self.queue.pull()

    def close(self, timeout: float = 5.0) -> None:
        """Stop reading (within about a segment: the demuxer waits for one)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    # -- the reading thread ------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._play_once()
            except Exception as exc:  # av.FFmpegError, OSError: say so and try again
                self.error = str(exc) or type(exc).__name__
                logger.info("broadcast: %s (%s); reopening", self.error, self.url)
            self.opened.clear()
            self._stop.wait(RECONNECT_DELAY)

    def _play_once(self) -> None:
        options = {"live_start_index": str(LIVE_START_INDEX), "http_persistent": "1"}
        with av.open(self.url, options=options, timeout=(10.0, 10.0)) as container:
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            for frame in container.decode(stream):
                if self._stop.is_set():
                    return
                for out in resampler.resample(frame):
                    self.queue.push(out.to_ndarray().reshape(-1).astype(np.int16))
                self.error = None
                self.opened.set()
