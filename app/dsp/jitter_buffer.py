"""Adaptive playout buffer: packets in (any order, any time), one 20 ms slot out per pull.

The buffer never blocks and never decodes; payloads are opaque. A clock that
ticks every frame (the mixer, a sound device, a paced track) calls ``get(now)``
and decodes what it is told to.

Delay control, all in terms of the *wait* of a packet (pull time - arrival):
- A talkspurt starts ``target_delay_ms`` after its first packet arrives.
- Target = a high percentile of the inter-arrival deviation (jitter) + a
  safety margin, clamped to [min_delay_ms, max_delay_ms].
- Grow fast: a pull with nothing to play (underrun) stalls one frame; a packet
  that arrives after its slot (late) makes the next pull stall one frame.
- Shrink slowly: when even the latest packet of the last ``shrink_window``
  frames waited a whole frame more than the target, one frame is dropped,
  preferably a quiet one, at most once per ``shrink_interval``.
With a pull clock each packet also waits for the next tick (0..1 frame), so
the steady wait of the latest packets lies in [target, target + 1 frame).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Generic, TypeVar

from app.dsp import FRAME_MS
from app.dsp.click_timing import percentile

P = TypeVar("P")
TARGET_EVERY = 10  # packets between recomputations of a falling target (200 ms)
GROW_HOLD = 10.0  # s after an underrun or a late packet without offering excess


class PlayoutStep(Enum):
    PLAY = "play"  # decode ``payloads`` in order, play the last one
    CONCEAL = "conceal"  # a frame is missing: recover it from ``fec``, else conceal (PLC)
    SILENCE = "silence"  # no talkspurt in progress


@dataclass(frozen=True, slots=True)
class Slot(Generic[P]):
    action: PlayoutStep
    # More than one payload: frames dropped to shrink the delay. Decode them
    # all (keeps the decoder's state continuous) and play only the last.
    payloads: tuple[P, ...] = ()
    # CONCEAL of a lost frame whose successor is here: that packet, whose
    # in-band FEC may carry the lost frame (it is still played in its own slot).
    fec: P | None = None


@dataclass
class PlayoutStats:
    received: int = 0
    played: int = 0
    lost: int = 0  # never arrived (skipped because a later packet was there)
    late: int = 0  # arrived after their slot had been concealed or skipped
    concealed: int = 0  # concealment frames played (loss, underrun, growth)
    recovered: int = 0  # of those, lost frames decoded from the next packet (its FEC; PLC if none)
    underruns: int = 0  # pulls with nothing to play during a talkspurt
    dropped: int = 0  # frames skipped to shrink the delay
    shifted: int = 0  # half frames skipped so that a device pulls sooner
    duplicates: int = 0
    target_delay_ms: float = 0.0
    jitter_ms: float = 0.0
    delay_ms: float = 0.0  # median wait of recently played packets

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) if isinstance(v, float) else v for k, v in asdict(self).items()}


class PlayoutBuffer(Generic[P]):
    def __init__(
        self,
        *,
        frame_ms: float = FRAME_MS,
        clock_rate: int = 48_000,
        min_delay_ms: float = 4.0,
        max_delay_ms: float = 200.0,
        initial_delay_ms: float = 20.0,
        safety_ms: float = 2.0,
        jitter_percentile: float = 95.0,
        jitter_history: int = 100,
        idle_after: int = 3,
        shrink_window: int = 50,
        shrink_interval: float = 1.0,
        force_shrink_after: float = 3.0,
    ) -> None:
        self.frame_ms = frame_ms
        self.clock_rate = clock_rate
        self.min_delay_ms = min_delay_ms
        self.max_delay_ms = max_delay_ms
        self.initial_delay_ms = initial_delay_ms
        self.safety_ms = safety_ms
        self.jitter_percentile = jitter_percentile
        self.idle_after = idle_after
        self.shrink_interval = shrink_interval
        self.force_shrink_after = force_shrink_after
        self._packets: dict[int, tuple[P, float]] = {}  # ext seq -> payload, arrival
        self._highest: int | None = None  # highest extended sequence number seen
        self._next: int | None = None  # next to play; None before the first packet
        self._state = "idle"  # idle -> starting (first packet in) -> active -> idle
        self._start_at = 0.0
        self._stalls = 0
        self._hold = False
        self._spurt = 0
        self._skipped: deque[int] = deque(maxlen=32)
        self._jitter: deque[float] = deque(maxlen=jitter_history)
        self._last: tuple[int, int, float, int] | None = None  # ext, ts, arrival, spurt
        self._waits: deque[float] = deque(maxlen=shrink_window)
        self._last_change = -math.inf
        self._last_grow = -math.inf  # the last underrun or late packet
        self._last_pull = -math.inf
        self._excess_since: float | None = None
        self._fresh = 0  # jitter samples since the target was last computed
        self._target = 0.0
        self.stats = PlayoutStats()
        self._update_target()

    # -- input ---------------------------------------------------------------

    def put(self, seq: int, timestamp: int, payload: P, arrival: float) -> None:
        """Add a packet (16-bit RTP ``seq``/32-bit ``timestamp``, ``arrival`` in seconds)."""
        ext = self._unwrap(seq)
        stats = self.stats
        stats.received += 1
        self._measure_jitter(ext, timestamp, arrival)
        nxt = self._next
        if self._state == "starting" and nxt is not None and ext < nxt:
            if ext not in self._packets:
                self._packets[ext] = (payload, arrival)
                self._next = ext  # reordered start of a talkspurt not yet playing
            return
        if nxt is not None and ext < nxt:
            if self._state == "active" or ext >= nxt - 1000:
                if ext in self._skipped:
                    self._skipped.remove(ext)
                    stats.lost -= 1
                stats.late += 1
                self._hold = self._state == "active"  # it missed its slot: wait a frame longer
                return
            self._next = None  # far behind while idle: the sender restarted its numbering
        if ext in self._packets:
            stats.duplicates += 1
            return
        self._packets[ext] = (payload, arrival)
        if self._state == "idle":
            # First packet of a talkspurt: play it after the target delay.
            self._state = "starting"
            self._next = ext
            self._start_at = arrival + self.target_delay_ms / 1e3

    # -- output --------------------------------------------------------------

    def get(self, now: float, quiet: bool = False) -> Slot[P]:
        """What to output for the frame due at ``now`` (seconds, same clock as arrivals).

        ``quiet``: the audio just played was near silence, so dropping the
        next frame to shrink the delay would not be heard.
        """
        stats = self.stats
        self._last_pull = now
        if self._state == "idle" or self._next is None:
            return Slot(PlayoutStep.SILENCE)
        if self._state == "starting":
            if now < self._start_at:
                return Slot(PlayoutStep.SILENCE)
            self._begin_spurt(now)
        if self._hold:
            self._hold = False
            self._grown(now)
            stats.concealed += 1
            return Slot(PlayoutStep.CONCEAL)
        entry = self._packets.pop(self._next, None)
        if entry is None:
            return self._missing(now)
        self._stalls = 0
        self._next += 1
        payloads = [entry[0]]
        self._record_wait(now, entry[1])
        if self._should_shrink(now, quiet):
            following = self._packets.pop(self._next)
            self._next += 1
            payloads.append(following[0])
            stats.dropped += 1
            self._waits.clear()  # the next decision needs a full window at the new delay
            self._last_change = now
            self._excess_since = None
        stats.played += 1
        return Slot(PlayoutStep.PLAY, tuple(payloads))

    @property
    def target_delay_ms(self) -> float:
        return self._target

    def _update_target(self) -> None:
        self._fresh = 0
        if len(self._jitter) < 10:
            jitter = self.initial_delay_ms - self.safety_ms
        else:
            jitter = percentile(self._jitter, self.jitter_percentile)
            self.stats.jitter_ms = jitter
        self._target = min(self.max_delay_ms, max(self.min_delay_ms, jitter + self.safety_ms))
        self.stats.target_delay_ms = self._target

    @property
    def talking(self) -> bool:
        """A talkspurt is starting or in progress."""
        return self._state != "idle"

    @property
    def excess_ms(self) -> float | None:
        """How much earlier than needed even the latest of the last
        ``shrink_window`` played packets arrived (min wait - target), or None
        until a full window at the current phase has been seen. What the
        clock that pulls could gain by pulling that much sooner."""
        if self._state != "active" or len(self._waits) < (self._waits.maxlen or 0):
            return None
        if self._last_pull - self._last_grow < GROW_HOLD:
            return None  # arrivals just ran late: a minimum from before says little
        return min(self._waits) - self.target_delay_ms

    def realigned(self, now: float) -> None:
        """The puller moved its phase (pulls sooner): measure afresh."""
        self._waits.clear()
        self._last_change = now
        self._excess_since = None

    @property
    def buffered(self) -> int:
        """Packets waiting to be played."""
        return len(self._packets)

    # -- internals -----------------------------------------------------------

    def _unwrap(self, seq: int) -> int:
        if self._highest is None:
            self._highest = seq + (1 << 16)  # room below for reordered early packets
            return self._highest
        delta = (seq - self._highest) & 0xFFFF
        ext = self._highest + delta if delta < 0x8000 else self._highest + delta - 0x10000
        self._highest = max(self._highest, ext)
        return ext

    def _measure_jitter(self, ext: int, timestamp: int, arrival: float) -> None:
        last, self._last = self._last, (ext, timestamp, arrival, self._spurt)
        if last is None or ext != last[0] + 1 or last[3] != self._spurt:
            return  # only consecutive packets of one talkspurt say something about jitter
        ts_delta = (timestamp - last[1]) & 0xFFFFFFFF
        if ts_delta >= 1 << 31:
            return
        deviation = abs((arrival - last[2]) - ts_delta / self.clock_rate) * 1e3
        self._jitter.append(deviation)
        self._fresh += 1
        # A percentile sorts the window: per packet it was most of a listener's
        # receive cost. Recompute at once when this sample could raise the
        # target (grow fast), else every ``TARGET_EVERY`` packets (shrink slowly).
        if deviation + self.safety_ms > self._target or self._fresh >= TARGET_EVERY:
            self._update_target()

    def _begin_spurt(self, now: float) -> None:
        self._state = "active"
        self._stalls = 0
        # A burst queued up behind the first packet (the sender stalled): keep
        # only what the target delay needs, not the whole backlog.
        keep = 1 + math.ceil(self.target_delay_ms / self.frame_ms)
        while len(self._packets) > keep and self._next is not None:
            if self._packets.pop(self._next, None) is not None:
                self.stats.dropped += 1
            self._next += 1

    def _missing(self, now: float) -> Slot[P]:
        assert self._next is not None
        stats = self.stats
        if self._packets:
            # A later packet is here: this one is lost (or will be late).
            self._skipped.append(self._next)
            self._next += 1
            stats.lost += 1
            stats.concealed += 1
            following = self._packets.get(self._next)
            return Slot(PlayoutStep.CONCEAL, fec=following[0] if following is not None else None)
        self._stalls += 1
        if self._stalls > self.idle_after:
            # The sender stopped (push-to-talk released) or stalled: go idle;
            # the next packet starts a new talkspurt after the target delay.
            self._state = "idle"
            self._spurt += 1
            self._waits.clear()
            return Slot(PlayoutStep.SILENCE)
        stats.underruns += 1
        stats.concealed += 1
        self._grown(now)
        return Slot(PlayoutStep.CONCEAL)

    def _grown(self, now: float) -> None:
        self._last_change = now
        self._last_grow = now
        self._excess_since = None

    def _record_wait(self, now: float, arrival: float) -> None:
        self._waits.append((now - arrival) * 1e3)
        if self.stats.played % 25 == 0:  # a statistic, not a control input: every 0.5 s
            ordered = sorted(self._waits)
            self.stats.delay_ms = ordered[len(ordered) // 2]

    def _should_shrink(self, now: float, quiet: bool) -> bool:
        assert self._next is not None
        if (
            len(self._waits) < (self._waits.maxlen or 0)
            or min(self._waits) - self.frame_ms < self.target_delay_ms
            or now - self._last_change < self.shrink_interval
        ):
            self._excess_since = None
            return False
        if self._next not in self._packets:
            return False
        if self._excess_since is None:
            self._excess_since = now
        # Prefer dropping silence; drop audible audio only after a long excess.
        return quiet or now - self._excess_since >= self.force_shrink_after
