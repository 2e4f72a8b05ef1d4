"""A listener that only handshakes, decrypts and counts: load generation for benchmarks."""

from __future__ import annotations

from typing import Any

from aiortc import RTCSessionDescription

from app.media import aiortc_hooks as hooks
from app.media.client.peer import Signal
from app.media.ice import IceSettings, apply_ice_settings, new_peer_connection

LATE_AFTER_MS = 60
"""Late: this much slower than the fastest packet so far (a jitter buffer's depth); counted
once per underrun, since the buffer then re-anchors."""


class CountingListener:
    """Real ICE + DTLS + SRTP like any client, but no jitter buffer and no decoding.

    aiortc hook (app.media.aiortc_hooks.divert_rtp_data): every unprotected
    RTP packet of the DTLS transport comes here unparsed, which turns the whole
    receive path into decrypt + count, so one process can host many listeners.
    """

    def __init__(self, settings: IceSettings) -> None:
        self.pc = new_peer_connection(settings)
        self._settings = settings
        self.packets = 0
        self.octets = 0
        self._first_seq: int | None = None
        self._last_seq = 0  # extended (unwrapped) sequence number
        self.late = 0
        self.rejected = 0  # failed SRTP authentication (counted by a ReceivePool)
        self._first_ts: int | None = None
        self._min_transit_ms: float | None = None  # kept across reset(): the fastest path

    async def connect(self, signal: Signal) -> None:
        transceiver = self.pc.addTransceiver("audio", direction="recvonly")
        hooks.divert_rtp_data(transceiver.receiver.transport, self.count)
        apply_ice_settings(self.pc, self._settings)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        answer = await signal(str(self.pc.localDescription.sdp))
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    async def accept(self, offer_sdp: str) -> str:
        """Answering role (servers that offer, e.g. Janus Streaming): offer in, answer out."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        for transceiver in self.pc.getTransceivers():
            transceiver.direction = "recvonly"
            hooks.divert_rtp_data(transceiver.receiver.transport, self.count)
        apply_ice_settings(self.pc, self._settings)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return str(self.pc.localDescription.sdp)

    async def close(self) -> None:
        await self.pc.close()

    @property
    def transport(self) -> Any:
        """The DTLS transport media arrives on (None before offer/answer)."""
        transceivers = self.pc.getTransceivers()
        return transceivers[0].receiver.transport if transceivers else None

    def reset(self) -> None:
        """Start a new measurement window."""
        self.packets = self.octets = self.late = self.rejected = 0
        self._first_seq = None

    @property
    def expected(self) -> int:
        """Packets the sender numbered in this window (from RTP sequence numbers)."""
        return 0 if self._first_seq is None else self._last_seq - self._first_seq + 1

    async def count(self, data: bytes, arrival_time_ms: int) -> None:
        self.record(
            int.from_bytes(data[2:4], "big"),
            int.from_bytes(data[4:8], "big"),
            arrival_time_ms,
            len(data),
        )

    def record(self, seq: int, ts: int, arrival_time_ms: int, octets: int) -> None:
        """One decrypted packet: RTP sequence number and timestamp, arrival time in
        ms since the NTP epoch (aiortc's clock), decrypted size."""
        if self._first_seq is None:
            self._first_seq = self._last_seq = seq
        else:
            delta = (seq - self._last_seq) & 0xFFFF
            if delta < 0x8000:  # forward (late packets are counted, not used for range)
                self._last_seq += delta
        self.packets += 1
        self.octets += octets
        if self._first_ts is None:
            self._first_ts = ts
        # Transit up to a constant: arrival minus media time (48 kHz Opus clock).
        transit = arrival_time_ms - ((ts - self._first_ts) & 0xFFFFFFFF) / 48
        if self._min_transit_ms is None or transit < self._min_transit_ms:
            self._min_transit_ms = transit
        elif transit - self._min_transit_ms > LATE_AFTER_MS:
            # A jitter buffer would underrun here, then re-anchor: count the event once.
            self.late += 1
            self._min_transit_ms = transit
