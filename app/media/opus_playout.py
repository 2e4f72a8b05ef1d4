"""One incoming Opus stream played out on a 20 ms clock: adaptive buffer + decoder.

A lost frame is rebuilt from the next packet's in-band FEC when that packet
is already here, else libopus conceals it (its own PLC, continuous with
the decoder's state); both run in the decoder, in order.

Used for each stage member's input on the server (pulled by the mixer tick)
and for the room audio on a client (pulled by a paced track or a sound
device). Packets come from ``rtp_tap``.
"""

from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
from numpy.typing import NDArray

from app.dsp import FRAME_SAMPLES
from app.dsp.jitter_buffer import PlayoutBuffer, PlayoutStats, PlayoutStep
from app.media.opus import OpusDecoder
from app.media.rtp_tap import RtpPacketLike

QUIET_PEAK = 64  # |sample| below this (about -54 dBFS): dropping a frame is inaudible
HALF = FRAME_SAMPLES // 2
HALF_MS = 10.0
SHIFT_MARGIN_MS = 3.0  # kept in hand beyond the buffer's own jitter target


class OpusPlayout:
    """``push`` from the network side, ``pull`` from the clock side; never blocks.

    Thread-safe between one pusher and one puller (a sound-device callback
    may pull while the event loop pushes).
    """

    def __init__(self, buffer: PlayoutBuffer[bytes] | None = None) -> None:
        self.buffer: PlayoutBuffer[bytes] = buffer if buffer is not None else PlayoutBuffer()
        self._decoder = OpusDecoder()
        self._concealing = 0  # concealed frames in a row
        self._lock = threading.Lock()
        self._quiet = True

    def push(self, packet: RtpPacketLike, arrival: float) -> None:
        with self._lock:
            self.buffer.put(packet.sequence_number, packet.timestamp, packet.payload, arrival)

    def pull(self, now: float | None = None) -> NDArray[np.int16] | None:
        """The 20 ms frame due now, or None when no talkspurt is in progress."""
        with self._lock:
            slot = self.buffer.get(time.monotonic() if now is None else now, self._quiet)
        if slot.action is PlayoutStep.SILENCE:
            return None
        pcm: NDArray[np.int16] | None = None
        if slot.action is PlayoutStep.PLAY:
            for payload in slot.payloads:
                pcm = self._decoder.decode(payload)
            if pcm is not None and len(pcm) == FRAME_SAMPLES:
                self._quiet = int(np.abs(pcm).max()) < QUIET_PEAK
                self._concealing = 0
                return pcm
            return self._conceal()  # undecodable
        if slot.fec is not None:
            pcm = self._decoder.recover(slot.fec)
            self._concealing = 0
            with self._lock:
                self.buffer.stats.recovered = self._decoder.fec_recovered
            return pcm
        return self._conceal()  # lost with nothing after it yet, late, or growing

    def _conceal(self) -> NDArray[np.int16]:
        """libopus's concealment, faded so that it reaches silence by the time
        the buffer gives up on the talkspurt (``idle_after`` empty pulls):
        when a speaker stops, the last sound dies away instead of a stretch of
        continued voice cut off at once."""
        pcm = self._decoder.conceal()
        fade = self.buffer.idle_after
        k, self._concealing = self._concealing, self._concealing + 1
        if k >= fade:
            return np.zeros(FRAME_SAMPLES, dtype=np.int16)
        start = 1.0 - k / fade
        gain = np.linspace(start, start - 1.0 / fade, FRAME_SAMPLES, endpoint=False)
        return np.round(pcm * gain).astype(np.int16)

    def next_frame(self) -> NDArray[np.int16]:
        """Pull API for playback: always exactly 20 ms of int16 mono (silence when idle)."""
        pcm = self.pull()
        return pcm if pcm is not None else np.zeros(FRAME_SAMPLES, dtype=np.int16)

    def next_device_frame(self, now: float | None = None) -> NDArray[np.int16]:
        """``next_frame`` for a sound device that asks for half frames: when
        even the latest packets have waited half a frame longer than needed,
        and the audio is quiet, only the first half of this frame is returned
        (the rest is dropped), so the device pulls the next frame 10 ms sooner.
        A device clock can only pull in whole periods, so this is how its
        phase moves to the packets' (``PhaseAligner`` does it for the mixer).
        """
        now = time.monotonic() if now is None else now
        pcm = self.pull(now)
        if pcm is None:
            return np.zeros(FRAME_SAMPLES, dtype=np.int16)
        with self._lock:
            excess = self.buffer.excess_ms
            if excess is None or excess < HALF_MS + SHIFT_MARGIN_MS or not self._quiet:
                return pcm
            self.buffer.realigned(now)
            self.buffer.stats.shifted += 1
        return pcm[:HALF]

    def stats(self) -> PlayoutStats:
        with self._lock:
            return dataclasses.replace(self.buffer.stats)
