"""One RTP numbering (SSRC, sequence, timestamp) shared by every stream a room sends.

The audience mix and every speaker's N-1 mix carry the same SSRC, sequence
number and timestamp on a given tick; only the payload differs. A listener
who joins the stage is moved from one stream to another and its decoder sees
one continuous stream: no renegotiation, no SRTP replay-window surprises.
"""

from __future__ import annotations

import secrets
import struct
import time

from app.dsp import FRAME_SAMPLES

NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01
_HEADER = struct.Struct("!BBHII")


def ntp_time(unix_seconds: float) -> int:
    """64-bit NTP timestamp for a Unix time."""
    seconds = unix_seconds + NTP_EPOCH_OFFSET
    return (int(seconds) << 32) | int((seconds % 1) * (1 << 32))


class RtpClock:
    def __init__(
        self,
        clock_rate: int = 48_000,
        samples_per_tick: int = FRAME_SAMPLES,
        ssrc: int | None = None,
    ) -> None:
        self.clock_rate = clock_rate
        self.samples_per_tick = samples_per_tick
        self.ssrc = ssrc if ssrc is not None else secrets.randbits(32) or 1
        # Start in the lower half so libsrtp's rollover guess cannot go wrong early.
        self.sequence = secrets.randbits(15)
        self.timestamp = secrets.randbits(32)
        self.ticks = 0
        self.marker = True  # first packet starts a talkspurt
        self._tick_wallclock = time.time()

    def advance(self) -> None:
        """Move to the next 20 ms frame; call once per mixer tick before sending."""
        if self.ticks:
            self.sequence = (self.sequence + 1) & 0xFFFF
            self.timestamp = (self.timestamp + self.samples_per_tick) & 0xFFFFFFFF
            self.marker = False
        self.ticks += 1
        self._tick_wallclock = time.time()

    def header(self, payload_type: int) -> bytes:
        """The 12-byte RTP header of the current tick (no CSRCs, no extensions)."""
        return _HEADER.pack(
            0x80,
            (0x80 if self.marker else 0) | payload_type,
            self.sequence,
            self.timestamp,
            self.ssrc,
        )

    def sender_times(self, now: float | None = None) -> tuple[int, int]:
        """(NTP time, matching RTP timestamp) for an RTCP sender report."""
        now = time.time() if now is None else now
        elapsed = int((now - self._tick_wallclock) * self.clock_rate)
        return ntp_time(now), (self.timestamp + elapsed) & 0xFFFFFFFF
