"""A room's media: stage inputs -> 20 ms mix -> encode once -> fan-out.

Who is on stage and who is heard (push-to-talk held, not muted) are decided
by the room core and pushed in with ``set_on_stage`` / ``set_heard``; a
client's own claims never reach the mix.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from numpy.typing import NDArray

from app.dsp import FRAME_SAMPLES, FRAME_SECONDS
from app.dsp.jitter_buffer import PlayoutBuffer, PlayoutStats
from app.dsp.levels import speech_level
from app.dsp.mixer import mix_minus, personal_mix
from app.dsp.phase import PhaseAligner
from app.media.ice import IceSettings
from app.media.opus import OpusEncoder
from app.media.opus_playout import OpusPlayout
from app.media.rtp_tap import RtpPacketLike, TapStats
from app.media.server.fanout import FanoutStream
from app.media.server.fast_sender import SrtpSink
from app.media.server.peer import ServerPeer
from app.media.server.rtp_clock import RtpClock
from app.media.server.ticker import Ticker
from app.media.server.udp_mux import UdpMux

logger = logging.getLogger(__name__)

RELAY_PAYLOAD_TYPE = 111  # Opus's usual dynamic type; FanoutStream.forward rewrites it
CONNECT_TIMEOUT = 30.0  # seconds from answer to ICE + DTLS connected

FrameSource = Callable[[], NDArray[np.int16]]
PlayoutFactory = Callable[[], PlayoutBuffer[bytes]]


@dataclass
class _StageSlot:
    """Per stage member: their input (played out on the mixer clock) and their N-1 stream."""

    input: OpusPlayout
    encoder: OpusEncoder
    stream: FanoutStream
    heard: bool = True


@dataclass
class _PersonalMix:
    """A member who set per-speaker volumes: their own mix, encoder and stream."""

    gains: dict[str, float]
    encoder: OpusEncoder
    stream: FanoutStream


@dataclass
class _Participant:
    peer: ServerPeer
    sink: SrtpSink | None = None
    stage: _StageSlot | None = None
    personal: _PersonalMix | None = None
    attached: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class RoomMedia:
    def __init__(
        self,
        settings: IceSettings,
        *,
        bitrate: int = 32_000,
        clock: RtpClock | None = None,
        period: float = FRAME_SECONDS,
        playout: PlayoutFactory = PlayoutBuffer,
        mux: UdpMux | None = None,
    ) -> None:
        """``mux``: shared media sockets to use (default: the room opens its own
        on ``settings.host_addresses`` at the first join, one UDP port per address)."""
        self._settings = settings
        self._bitrate = bitrate
        self.clock = clock or RtpClock()
        self.cname = f"panggung-{self.clock.ssrc:08x}"  # one source, one CNAME
        self._mux = mux
        self._own_mux = mux is None
        self.audience = FanoutStream(self.clock, "audience", cname=self.cname)
        self._audience_encoder = OpusEncoder(bitrate)
        self._participants: dict[str, _Participant] = {}
        self._local_sources: dict[str, FrameSource] = {}
        # Who else gets the audience packets (a recorder): same bytes, no second encode.
        self._audience_taps: list[Callable[[bytes], None]] = []
        # Who gets the complete audience RTP packets (the relay to edge nodes).
        self._packet_taps: list[Callable[[bytes], None]] = []
        # Who gets the audience mix itself, every tick (the HLS writer encodes it to AAC).
        self._mix_taps: list[Callable[[NDArray[np.int16]], None]] = []
        # Peak level (0..1) per heard speaker since the last take_levels().
        self._levels: dict[str, float] = {}
        self._new_playout = playout
        self.ticker = Ticker(self.tick, period)
        self.aligner = PhaseAligner()

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        self.ticker.start()

    async def stop(self) -> None:
        await self.ticker.stop()
        for pid in list(self._participants):
            await self.leave(pid)
        if self._own_mux and self._mux is not None:
            mux, self._mux = self._mux, None
            await mux.close()

    @property
    def mux(self) -> UdpMux:
        """The room's media sockets (opened on first use)."""
        if self._mux is None:
            self._mux = UdpMux.open(self._settings.host_addresses)
        return self._mux

    # -- participants ------------------------------------------------------

    async def join(self, pid: str, offer_sdp: str) -> str:
        """Accept ``pid``'s offer; returns the answer. Audio flows once connected."""
        if pid in self._participants:
            raise ValueError(f"{pid} already joined")
        peer = ServerPeer(
            self._settings,
            self.clock.ssrc,
            partial(self._on_packet, pid),
            mux=self.mux,
            cname=self.cname,
        )
        participant = _Participant(peer)
        self._participants[pid] = participant
        answer = await participant.peer.accept(offer_sdp)
        loop = asyncio.get_running_loop()
        participant.tasks.append(loop.create_task(self._attach(pid, participant)))
        return answer

    async def ready(self, pid: str) -> None:
        """Wait until ``pid`` is connected and receiving (bound with ``asyncio.timeout``)."""
        await self._participants[pid].attached.wait()

    async def leave(self, pid: str) -> None:
        participant = self._participants.pop(pid, None)
        if participant is None:
            return
        self._detach(participant)
        for task in participant.tasks:
            task.cancel()
        for task in participant.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await participant.peer.close()

    def set_on_stage(self, pid: str, on_stage: bool) -> None:
        """Stage members are mixed and hear the room without themselves."""
        participant = self._participants[pid]
        if on_stage == (participant.stage is not None):
            return
        self._detach(participant)
        if on_stage:
            participant.stage = _StageSlot(
                input=OpusPlayout(self._new_playout()),
                encoder=OpusEncoder(self._bitrate),
                stream=FanoutStream(self.clock, pid, cname=self.cname),
            )
        else:
            participant.stage = None
        self._route(participant)

    def set_gains(self, pid: str, gains: dict[str, float]) -> None:
        """``pid`` hears each speaker (by pid) at its gain: with any gain other
        than 1.0 they get a mix of their own (one more encode per tick),
        otherwise the shared stream again."""
        participant = self._participants[pid]
        gains = {key: gain for key, gain in gains.items() if gain != 1.0}
        self._detach(participant)
        if not gains:
            participant.personal = None
        elif participant.personal is None:
            participant.personal = _PersonalMix(
                gains, OpusEncoder(self._bitrate), FanoutStream(self.clock, pid, cname=self.cname)
            )
        else:
            participant.personal.gains = gains
        self._route(participant)

    @property
    def personal_mixes(self) -> int:
        """Members who hear a mix of their own (per-speaker volume)."""
        return sum(1 for p in self._participants.values() if p.personal is not None)

    def set_heard(self, pid: str, heard: bool) -> None:
        """Gate a stage member's voice (push-to-talk, moderator mute)."""
        stage = self._participants[pid].stage
        if stage is None:
            raise ValueError(f"{pid} is not on stage")
        stage.heard = heard

    def packets_received(self, pid: str) -> int:
        """RTP packets that arrived from ``pid`` (on stage or not)."""
        return self._participants[pid].peer.packets_in

    def receive_tap(self, pid: str) -> TapStats | None:
        """How ``pid``'s received packets reached the mixer (rtp_tap's counters)."""
        return self._participants[pid].peer.tap

    def input_excess_ms(self, pid: str) -> float | None:
        """How far a stage member's input runs ahead of its playout (None off stage,
        or while arrivals run late)."""
        stage = self._participants[pid].stage
        return stage.input.buffer.excess_ms if stage is not None else None

    def input_stats(self, pid: str) -> PlayoutStats | None:
        """Playout counters of a stage member's input (None off stage)."""
        stage = self._participants[pid].stage
        return stage.input.stats() if stage is not None else None

    def take_levels(self) -> dict[str, float]:
        """Peak levels of the speakers heard since the last call (for `speaking`),
        local sources keyed by a user id included."""
        levels, self._levels = self._levels, {}
        return {pid: level for pid, level in levels.items() if level > 0.0}

    def add_local_source(self, key: str, source: FrameSource) -> None:
        """Server-side audio mixed for everyone (tests, announcements, the demo's
        bots). A key that is a user id (digits) makes it that member's voice:
        its levels appear in `take_levels`."""
        self._local_sources[key] = source

    def add_audience_tap(self, tap: Callable[[bytes], None]) -> None:
        """Also hand each tick's audience packet to ``tap``, which must not block."""
        self._audience_taps = [*self._audience_taps, tap]

    def remove_audience_tap(self, tap: Callable[[bytes], None]) -> None:
        # Equality, not identity: `obj.method` is a new bound method object each time.
        self._audience_taps = [t for t in self._audience_taps if t != tap]

    def add_packet_tap(self, tap: Callable[[bytes], None]) -> None:
        """Also hand each tick's complete audience RTP packet (Opus, payload type
        ``RELAY_PAYLOAD_TYPE``; the edge rewrites it per listener) to ``tap``."""
        self._packet_taps = [*self._packet_taps, tap]

    def remove_packet_tap(self, tap: Callable[[bytes], None]) -> None:
        self._packet_taps = [t for t in self._packet_taps if t != tap]

    def forward_audience(self, packet: bytes) -> int:
        """At an edge node: one packet of the origin's audience stream to this
        node's listeners of the room (the plane's own mixer is not started)."""
        return self.audience.forward(packet)

    def add_mix_tap(self, tap: Callable[[NDArray[np.int16]], None]) -> None:
        """Also hand each tick's audience mix (PCM) to ``tap``, which must not block
        nor change it."""
        self._mix_taps = [*self._mix_taps, tap]

    def remove_mix_tap(self, tap: Callable[[NDArray[np.int16]], None]) -> None:
        self._mix_taps = [t for t in self._mix_taps if t != tap]

    # -- the clock ---------------------------------------------------------

    def tick(self) -> None:
        """One 20 ms frame: pull inputs, mix, encode once per stream, send."""
        self.clock.advance()
        inputs: dict[str, NDArray[np.int16]] = {}
        stage = [(pid, p.stage) for pid, p in self._participants.items() if p.stage is not None]
        now = time.monotonic()
        for pid, slot in stage:
            pcm = slot.input.pull(now)  # pull even when muted: no stale audio on unmute
            if pcm is not None and slot.heard:
                inputs[pid] = pcm
                level = speech_level(pcm)
                if level > self._levels.get(pid, 0.0):
                    self._levels[pid] = level
        for key, source in self._local_sources.items():
            pcm = inputs[key] = source()
            if key.isdigit():  # a server-side member's voice (a user id): in `speaking` too
                level = speech_level(pcm)
                if level > self._levels.get(key, 0.0):
                    self._levels[key] = level
        self._align(stage, now)
        mix = mix_minus(inputs, FRAME_SAMPLES)
        for mix_tap in self._mix_taps:
            mix_tap(mix.audience)
        payload = self._audience_encoder.encode(mix.audience)
        if payload:
            self.audience.send(payload)
            for tap in self._audience_taps:
                tap(payload)
            if self._packet_taps:
                packet = self.clock.header(RELAY_PAYLOAD_TYPE) + payload
                for tap in self._packet_taps:
                    tap(packet)
        for pid, slot in stage:
            if self._participants[pid].personal is not None:
                continue  # hears their own mix, below: no N-1 encode
            payload = slot.encoder.encode(mix.for_speaker(pid))
            if payload:
                slot.stream.send(payload)
        for pid, participant in self._participants.items():
            personal = participant.personal
            if personal is not None:
                own = pid if participant.stage is not None else None
                pcm = personal_mix(inputs, personal.gains, FRAME_SAMPLES, without=own)
                payload = personal.encoder.encode(pcm)
                if payload:
                    personal.stream.send(payload)

    # -- internals ---------------------------------------------------------

    def _align(self, stage: list[tuple[str, _StageSlot]], now: float) -> None:
        """Tick sooner when every talking speaker's packets wait longer than
        they need (PhaseAligner): up to a frame less mouth-to-ear."""
        buffers = [slot.input.buffer for _, slot in stage if slot.input.buffer.talking]
        shift = self.aligner.shift_ms([b.excess_ms for b in buffers], now)
        if shift:
            self.ticker.shift(shift / 1e3)
            for buffer in buffers:
                buffer.realigned(now)

    async def _attach(self, pid: str, participant: _Participant) -> None:
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                sink = await participant.peer.connected()
        except (ConnectionError, TimeoutError):
            logger.info("media: %s did not connect", pid)
            return
        sink.on_closed = lambda _sink: self._detach(participant)
        participant.sink = sink
        self._route(participant)
        participant.attached.set()

    def _stream_of(self, participant: _Participant) -> FanoutStream:
        """Where a participant's audio comes from: their own mix, their N-1, the audience's."""
        if participant.personal is not None:
            return participant.personal.stream
        if participant.stage is not None:
            return participant.stage.stream
        return self.audience

    def _route(self, participant: _Participant) -> None:
        if participant.sink is not None:
            self._stream_of(participant).add(participant.sink)

    def _detach(self, participant: _Participant) -> None:
        sink = participant.sink
        if sink is not None:
            self._stream_of(participant).remove(sink)

    def _on_packet(self, pid: str, packet: RtpPacketLike, arrival: float) -> None:
        participant = self._participants.get(pid)
        if participant is not None and participant.stage is not None:
            participant.stage.input.push(packet, arrival)  # off stage: dropped, never decoded
