"""Encode-once fan-out: one payload per tick, many listeners.

Knows nothing about aiortc: a sink is anything with ``protect``/``sendto``/
``addr`` (see ``fast_sender.SrtpSink``), which keeps the hot loop testable
with plain fakes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from app.media.server.rtp_clock import RtpClock

logger = logging.getLogger(__name__)


class Sink(Protocol):
    payload_type: int
    addr: Any
    report_source: Any
    closed: bool

    @property
    def protect(self) -> Callable[[bytes], bytes]: ...
    @property
    def sendto(self) -> Callable[[bytes, Any], None]: ...


class FanoutStream:
    """One RTP stream (audience mix, or one speaker's N-1 mix) sent to a set of sinks.

    The RTP packet is built once per tick per payload type (peers that offered
    Opus under different payload types form groups, usually just one); per
    sink the loop does SRTP protect and ``sendto``, nothing else.
    """

    def __init__(self, clock: RtpClock, name: str = "") -> None:
        self.name = name
        self._clock = clock
        # Lists are replaced, never mutated, so removal during a send is safe.
        self._groups: dict[int, list[Sink]] = {}
        self.packets = 0
        self.octets = 0
        self.deliveries = 0
        self.send_errors = 0

    def __len__(self) -> int:
        return sum(len(sinks) for sinks in self._groups.values())

    def __contains__(self, sink: object) -> bool:
        return any(sink in sinks for sinks in self._groups.values())

    def add(self, sink: Sink) -> None:
        if sink in self:
            return
        sink.report_source = self
        group = self._groups.get(sink.payload_type, [])
        self._groups[sink.payload_type] = [*group, sink]

    def remove(self, sink: Sink) -> None:
        group = self._groups.get(sink.payload_type)
        if group is None or sink not in group:
            return
        remaining = [s for s in group if s is not sink]
        if remaining:
            self._groups[sink.payload_type] = remaining
        else:
            del self._groups[sink.payload_type]
        if sink.report_source is self:
            sink.report_source = None

    def send(self, payload: bytes) -> int:
        """Send ``payload`` as the current tick's packet to every sink; returns deliveries."""
        clock = self._clock
        delivered = 0
        failed: list[tuple[Sink, Exception]] = []
        for payload_type, sinks in self._groups.items():
            packet = clock.header(payload_type) + payload
            for sink in sinks:
                try:
                    sink.sendto(sink.protect(packet), sink.addr)
                except Exception as exc:  # one broken peer must not starve the others
                    failed.append((sink, exc))
            delivered += len(sinks)
        self.packets += 1
        self.octets += len(payload)
        if failed:
            self.send_errors += len(failed)
            delivered -= len(failed)
            for sink, error in failed:
                logger.warning("fan-out %s: dropping sink after send error: %r", self.name, error)
                self.remove(sink)
        self.deliveries += delivered
        return delivered

    def sender_info(self) -> tuple[int, int, int, int]:
        ntp, rtp_ts = self._clock.sender_times()
        return ntp, rtp_ts, self.packets, self.octets
