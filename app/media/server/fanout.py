"""Encode-once fan-out: one packet per tick, many listeners, batched sends.

A stream's listeners are grouped by payload type and shared media socket;
each group is one ``SendBatch`` (SRTP in place, one ``sendmmsg`` per 1,024
listeners; app.media.server.batch). Listeners that are not on a shared
socket (a TURN relay) are sent one by one with their own protect/sendto.

The packets come from the room's mixer (`send`: a payload, the header from
the room's RTP clock) or from elsewhere (`forward`: complete RTP packets,
e.g. an origin's mix arriving at an edge node), so the same loop serves
both. Once a second (every ``report_every`` packets) the stream sends its
listeners one RTCP sender report + SDES, built once and protected per
listener in the same batch, and re-reads their ICE routes; aiortc's
per-peer RTCP loops are parked (fast_sender).
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, cast

from aiortc.rtp import RtcpSdesPacket, RtcpSenderInfo, RtcpSourceInfo, RtcpSrPacket

from app.media.server.batch import SendBatch
from app.media.server.mmsg import SendMmsg, load_sendmmsg
from app.media.server.rtp_clock import RtpClock, ntp_time
from app.media.server.udp_mux import MuxEndpoint

logger = logging.getLogger(__name__)

REPORT_EVERY = 50  # packets between sender reports: 1 s of 20 ms frames
DEFAULT_CNAME = "panggung"
_SSRC = struct.Struct("!I")


class Sink(Protocol):
    payload_type: int
    addr: Any
    report_source: Any
    closed: bool
    endpoint: MuxEndpoint | None
    session: Any

    @property
    def protect(self) -> Callable[[bytes], bytes]: ...
    @property
    def sendto(self) -> Callable[[bytes, Any], None]: ...
    def refresh_route(self) -> bool: ...
    def close(self) -> None: ...


@dataclass
class FanoutStats:
    packets: int = 0  # packets sent to the stream (one per tick)
    octets: int = 0  # payload octets of those (for sender reports)
    deliveries: int = 0  # datagrams handed to the kernel for listeners
    send_errors: int = 0  # listeners dropped after an error
    reports: int = 0  # sender-report rounds


class _Singles:
    """Listeners without a shared socket: protect and sendto each."""

    def __init__(self) -> None:
        self.sinks: list[Sink] = []
        self.on_failed: Callable[[Any, str], None] | None = None

    def __len__(self) -> int:
        return len(self.sinks)

    def __contains__(self, sink: object) -> bool:
        return sink in self.sinks

    def add(self, sink: Any) -> None:
        if sink not in self.sinks:
            self.sinks = [*self.sinks, sink]

    def remove(self, sink: Any) -> None:
        self.sinks = [s for s in self.sinks if s is not sink]

    def readdress(self, sink: Any) -> None:
        pass

    def send(self, packet: bytes, rtcp: bool = False) -> int:
        sent = 0
        for sink in self.sinks:
            try:
                data = sink.session.protect_rtcp(packet) if rtcp else sink.protect(packet)
                sink.sendto(data, sink.addr)
                sent += 1
            except Exception as exc:  # one broken peer must not starve the others
                if self.on_failed is not None:
                    self.on_failed(sink, repr(exc))
        return sent


_Group = SendBatch | _Singles


class FanoutStream:
    """One RTP stream (audience mix, or one speaker's N-1 mix) sent to a set of sinks.

    ``clock``: the room's RTP numbering for `send`; None for a stream that is
    only `forward`-ed. ``sendmmsg``: the batched send call (default: found
    in the C library; None: one sendto per listener, as where it is missing).
    """

    def __init__(
        self,
        clock: RtpClock | None,
        name: str = "",
        *,
        cname: str = DEFAULT_CNAME,
        report_every: int = REPORT_EVERY,
        sendmmsg: SendMmsg | Literal["auto"] | None = "auto",
    ) -> None:
        self.name = name
        self._clock = clock
        self.cname = cname
        self.report_every = report_every
        self._sendmmsg = load_sendmmsg() if sendmmsg == "auto" else sendmmsg
        self._groups: dict[tuple[int, MuxEndpoint | None], _Group] = {}
        self._group_of: dict[int, tuple[int, MuxEndpoint | None]] = {}  # id(sink) -> key
        self.stats = FanoutStats()
        # Forwarded streams: what the sender report needs from the last packet.
        self._ssrc = clock.ssrc if clock is not None else 0
        self._last_timestamp = 0
        self._last_wallclock = 0.0
        self._clock_rate = clock.clock_rate if clock is not None else 48_000
        self._forwarded = False  # its packets come from forward(): reports follow them

    # Counters under their first names (benchmarks, tests).
    @property
    def packets(self) -> int:
        return self.stats.packets

    @property
    def octets(self) -> int:
        return self.stats.octets

    @property
    def deliveries(self) -> int:
        return self.stats.deliveries

    @property
    def send_errors(self) -> int:
        return self.stats.send_errors

    @property
    def batched(self) -> bool:
        """Whether sends on shared sockets are batched (sendmmsg) here."""
        return self._sendmmsg is not None

    def __len__(self) -> int:
        return len(self._group_of)

    def __contains__(self, sink: object) -> bool:
        return id(sink) in self._group_of

    def sinks(self) -> list[Sink]:
        out: list[Sink] = []
        for group in self._groups.values():
            out.extend(cast(list[Sink], group.sinks))
        return out

    def groups(self) -> list[_Group]:
        return list(self._groups.values())

    def add(self, sink: Sink) -> None:
        if id(sink) in self._group_of:
            return
        sink.report_source = self
        key = (sink.payload_type, sink.endpoint)
        group = self._groups.get(key)
        if group is None:
            group = SendBatch(sink.endpoint, self._sendmmsg) if sink.endpoint else _Singles()
            group.on_failed = self._failed
            self._groups[key] = group
        group.add(sink)
        self._group_of[id(sink)] = key

    def remove(self, sink: Sink) -> None:
        key = self._group_of.pop(id(sink), None)
        if key is None:
            return
        group = self._groups[key]
        group.remove(sink)
        if not len(group):
            del self._groups[key]
        if sink.report_source is self:
            sink.report_source = None

    def send(self, payload: bytes) -> int:
        """Send ``payload`` as the current tick's packet (header from the clock)."""
        clock = self._clock
        if clock is None:
            raise RuntimeError(f"fan-out {self.name}: no RTP clock; use forward()")
        headers: dict[int, bytes] = {}
        delivered = 0
        for (payload_type, _), group in list(self._groups.items()):
            header = headers.get(payload_type)
            if header is None:
                header = headers[payload_type] = clock.header(payload_type)
            delivered += group.send(header + payload)
        return self._sent(len(payload), delivered)

    def forward(self, packet: bytes) -> int:
        """Send a complete RTP packet from elsewhere (an origin's stream at an edge);
        the payload type is rewritten per group where a listener negotiated another."""
        if len(packet) < 12 or packet[0] >> 6 != 2:
            raise ValueError("not an RTP packet")
        self._ssrc = _SSRC.unpack_from(packet, 8)[0]
        self._last_timestamp = _SSRC.unpack_from(packet, 4)[0]
        self._last_wallclock = time.time()
        self._forwarded = True
        delivered = 0
        incoming = packet[1] & 0x7F
        for (payload_type, _), group in list(self._groups.items()):
            data = packet
            if payload_type != incoming:
                data = packet[:1] + bytes([(packet[1] & 0x80) | payload_type]) + packet[2:]
            delivered += group.send(data)
        return self._sent(len(packet) - 12, delivered)

    def _sent(self, octets: int, delivered: int) -> int:
        stats = self.stats
        stats.packets += 1
        stats.octets += octets
        stats.deliveries += delivered
        if stats.packets % self.report_every == 0:
            self.report()
        return delivered

    def report(self) -> None:
        """One sender report + SDES for every listener; re-read their routes."""
        self.stats.reports += 1
        for sink in self.sinks():
            try:
                moved = sink.refresh_route()
            except ConnectionError:
                sink.close()  # its owner detaches it
                self.remove(sink)
                continue
            if moved:
                self.remove(sink)
                self.add(sink)
        ntp, rtp_ts, count, octets = self.sender_info()
        report = RtcpSrPacket(
            ssrc=self._ssrc,
            sender_info=RtcpSenderInfo(
                ntp_timestamp=ntp,
                rtp_timestamp=rtp_ts,
                packet_count=count & 0xFFFFFFFF,
                octet_count=octets & 0xFFFFFFFF,
            ),
        )
        sdes = RtcpSdesPacket(
            chunks=[RtcpSourceInfo(ssrc=self._ssrc, items=[(1, self.cname.encode())])]
        )
        data = bytes(report) + bytes(sdes)
        for group in list(self._groups.values()):
            group.send(data, rtcp=True)

    def sender_info(self) -> tuple[int, int, int, int]:
        """(NTP time, RTP timestamp now, packet count, octet count)."""
        if self._clock is not None and not self._forwarded:
            ntp, rtp_ts = self._clock.sender_times()
        else:
            now = time.time()
            elapsed = int((now - self._last_wallclock) * self._clock_rate)
            ntp, rtp_ts = ntp_time(now), (self._last_timestamp + elapsed) & 0xFFFFFFFF
        return ntp, rtp_ts, self.stats.packets, self.stats.octets

    def _failed(self, sink: Any, reason: str) -> None:
        logger.warning("fan-out %s: dropping a listener: %s", self.name, reason)
        self.stats.send_errors += 1
        self.remove(sink)
