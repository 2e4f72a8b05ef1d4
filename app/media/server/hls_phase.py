"""Where the broadcast's segments end on the wall clock: just before each second.

Caches keep the live playlist in whole seconds: nginx stores an answer
until a whole second of its clock (`X-Accel-Expires: @T`, or `max-age`,
which is whole seconds too), and so do most CDNs. A playlist refreshed at
each wall-clock second shows a segment that ended at any moment of the
second before, up to a second late. So the writer ends its segments a
little before each wall-clock second (`phase`, the fraction of the second),
and each cache's refresh at the second finds the new segment already
listed.

`SegmentPhase` is pure (the time is passed in). For each frame of the mix
it says how many frames of silence go before it (at the start, to put the
first boundary at the phase; after the mixer skipped ticks in a stall, so
that the stream's timeline stays on the wall clock) or that the frame is
dropped (the wall clock stepped back). Jitter within `tolerance` is left
alone: a tick's ordinary lateness never inserts or drops anything.
"""

from __future__ import annotations

import math

from app.dsp import FRAME_SECONDS

DROP = -1


class SegmentPhase:
    def __init__(
        self,
        phase: float,
        segment_seconds: float,
        tolerance: float = 0.1,
        # Well below the writer's backlog bound (5 s): a fill that large would
        # read as the encoder falling behind and stop the broadcast.
        max_fill: float = 2.0,
    ) -> None:
        if not 0.0 <= phase < 1.0:
            raise ValueError(f"phase is a fraction of a second, not {phase}")
        self.phase = phase
        self.segment_frames = max(1, round(segment_seconds / FRAME_SECONDS))
        self.tolerance = tolerance
        self.max_fill = round(max_fill / FRAME_SECONDS)
        self._origin: float | None = None  # wall time of the stream's frame 0
        self.frames = 0  # the stream's frames so far, silence included
        self.filled = 0  # silence frames inserted after the start
        self.dropped = 0

    def drift(self, now: float) -> float:
        """Seconds the wall clock is ahead of the stream's next frame."""
        return 0.0 if self._origin is None else now - (self._origin + self.frames * FRAME_SECONDS)

    def place(self, now: float) -> int:
        """Silence frames to write before the frame arriving at `now`, or DROP."""
        if self._origin is None:
            # Frame 0 at the phase, up to a second before this first frame.
            lead = round(((now - self.phase) % 1.0) / FRAME_SECONDS) % round(1 / FRAME_SECONDS)
            self._origin = now - lead * FRAME_SECONDS
            self.frames = lead + 1
            return lead
        drift = self.drift(now)
        if drift < -self.tolerance:
            if drift < -self.max_fill * FRAME_SECONDS:
                # The wall clock stepped back: move the timeline by whole
                # segments (the phase stays) instead of dropping seconds.
                step = self.segment_frames * FRAME_SECONDS
                self._origin -= math.ceil(-drift / step) * step
                return self.place(now)
            self.dropped += 1
            return DROP
        fill = 0
        if drift > self.tolerance:
            fill = round(drift / FRAME_SECONDS)
            if fill > self.max_fill:
                # A long stall (or the clock stepped on): whole segments of
                # silence would only delay the broadcast; keep the phase only.
                whole = fill - fill % self.segment_frames
                self._origin += whole * FRAME_SECONDS
                fill -= whole
            self.filled += fill
        self.frames += fill + 1
        return fill
