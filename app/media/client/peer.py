"""A participant's peer connection to the room server: offer out, answer in."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import numpy as np
from aiortc import MediaStreamTrack, RTCSessionDescription
from numpy.typing import NDArray

from app.dsp.jitter_buffer import PlayoutBuffer, PlayoutStats
from app.media.client.encoded import OpusSendTrack
from app.media.client.room_track import GatedTrack, PlayoutTrack
from app.media.ice import IceSettings, apply_ice_settings, new_peer_connection
from app.media.opus_playout import OpusPlayout
from app.media.rtp_tap import TapStats, tap_rtp

Signal = Callable[[str], Awaitable[str]]
"""Carries an offer SDP to the server and returns its answer SDP."""


class ClientPeer:
    """Receives the room's audio; with ``source`` it also sends (stage members).

    ``playout=True`` (default): incoming RTP bypasses aiortc's fixed ~80 ms
    jitter buffer and goes through an adaptive playout buffer; the room audio
    is then ``remote_track()`` (a paced track) or ``next_frame()`` (pull).
    ``playout_buffer`` tunes it (tests, benchmarks). ``fec``: what is sent
    carries Opus in-band FEC (off only to measure what it buys).
    """

    def __init__(
        self,
        settings: IceSettings,
        source: MediaStreamTrack | None = None,
        *,
        playout: bool = True,
        playout_buffer: PlayoutBuffer[bytes] | None = None,
        sending: bool = True,
        fec: bool = True,
    ) -> None:
        self.pc = new_peer_connection(settings)
        self._settings = settings
        self._source = GatedTrack(source, sending) if source is not None else None
        # Encoded here (mono, in-band FEC), not by aiortc's stereo encoder.
        self._encoded = OpusSendTrack(self._source, fec=fec) if self._source is not None else None
        self.playout = OpusPlayout(playout_buffer) if playout else None
        self._playout_track = PlayoutTrack(self.playout) if self.playout is not None else None
        self._remote: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()
        self.pc.on("track", self._on_track)
        self.tap: TapStats | None = None  # how received packets reached the playout

    async def connect(self, signal: Signal) -> None:
        if self._encoded is not None:
            transceiver = self.pc.addTransceiver(self._encoded, direction="sendrecv")
        else:
            transceiver = self.pc.addTransceiver("audio", direction="recvonly")
        if self.playout is not None:
            self.tap = tap_rtp(transceiver, self.playout.push)
        apply_ice_settings(self.pc, self._settings)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        answer = await signal(str(self.pc.localDescription.sdp))
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    async def remote_track(self) -> MediaStreamTrack:
        """The room audio, once negotiated (wrap in ``asyncio.timeout``)."""
        track = await asyncio.shield(self._remote)
        return self._playout_track if self._playout_track is not None else track

    def next_frame(self) -> NDArray[np.int16]:
        """Pull API for a playback callback: 20 ms int16 mono, silence when idle.

        Use either this or ``remote_track()``, not both.
        """
        if self.playout is None:
            raise RuntimeError("next_frame needs playout=True")
        return self.playout.next_frame()

    def next_device_frame(self) -> NDArray[np.int16]:
        """``next_frame`` for a sound device pulling half frames: sometimes
        10 ms only (see ``OpusPlayout.next_device_frame``)."""
        if self.playout is None:
            raise RuntimeError("next_device_frame needs playout=True")
        return self.playout.next_device_frame()

    def playout_stats(self) -> PlayoutStats | None:
        """Receive-side counters and delays (None with ``playout=False``)."""
        return self.playout.stats() if self.playout is not None else None

    @property
    def sending(self) -> bool:
        return self._source is not None and self._source.sending

    def set_sending(self, sending: bool) -> None:
        """Push-to-talk: while False no RTP leaves (the source is read and discarded)."""
        if self._source is None:
            raise RuntimeError("this peer has no source")
        self._source.sending = sending

    async def close(self) -> None:
        if self._playout_track is not None:
            self._playout_track.stop()
        await self.pc.close()

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio" and not self._remote.done():
            self._remote.set_result(track)
