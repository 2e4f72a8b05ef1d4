"""A member's audio link: one peer connection to the room server, negotiated
over the room protocol and rebuilt by itself when it fails.

Every member opens it on joining with a send-and-receive transceiver, so that
moving between audience and stage needs no renegotiation; push-to-talk both
tells the server (which alone decides who is heard) and stops sending.
"""

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import Callable
from urllib.parse import urlsplit

import numpy as np
from numpy.typing import NDArray

from app.client.changes import ClientChange, LinkUp, MediaMoved
from app.client.session import RoomClient
from app.dsp import FRAME_SAMPLES
from app.dsp.jitter_buffer import PlayoutStats
from app.media.client.channel import ChannelTrack, FrameChannel
from app.media.client.peer import ClientPeer
from app.media.client.tracks import PcmSourceTrack
from app.media.ice import LOOPBACK_ONLY, IceSettings
from app.protocol.replies import MediaAnswer
from app.protocol.requests import MediaOffer, PushToTalk

log = logging.getLogger(__name__)

# A rebuilt connection that is not up by then is built again: one whose
# answer came from a media plane that went away silently would otherwise
# wait out aioice's own failure, tens of seconds.
CONNECT_TIMEOUT = 10.0

FrameSource = Callable[[], NDArray[np.int16]]


def _silence() -> NDArray[np.int16]:
    return np.zeros(FRAME_SAMPLES, dtype=np.int16)


def ice_settings_for(server_url: str) -> IceSettings:
    """A server on loopback is reached over loopback; otherwise aioice's defaults."""
    host = urlsplit(server_url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    return LOOPBACK_ONLY if loopback else IceSettings()


class VoiceLink:
    def __init__(
        self,
        client: RoomClient,
        source: FrameSource | None = None,
        settings: IceSettings | None = None,
        retry_delay: float = 0.5,
        connect_timeout: float = CONNECT_TIMEOUT,
        *,
        frames: FrameChannel | None = None,
    ) -> None:
        """Sends ``source`` (pulled on a wall-clock timer) or, when given,
        ``frames`` (pushed by a sound device, paced by its clock)."""
        self._client = client
        self._source = source or _silence
        self._frames = frames
        self._settings = settings or ice_settings_for(client.url)
        self._retry_delay = retry_delay
        self._connect_timeout = connect_timeout
        self.peer: ClientPeer | None = None
        self.talking = False
        self.rebuilds = 0
        self._closing = False
        self._rebuilding: asyncio.Task[None] | None = None
        # Lost again while rebuilding: what is being built may be with the
        # media plane that just moved away (the old origin's relay, torn down
        # without a word to us), so build once more when this attempt is done.
        self._again = False
        self.connected = asyncio.Event()
        # The last answer's: our own node carries the link (`MediaAnswer.relayed`).
        self.relayed = False
        self._unfollow = client.changes.subscribe(self._changed)

    async def start(self) -> None:
        """Negotiate the peer connection (the client must be in a room)."""
        track = (
            ChannelTrack(self._frames) if self._frames is not None else PcmSourceTrack(self._source)
        )
        peer = ClientPeer(self._settings, track, sending=self.talking)
        peer.pc.on("connectionstatechange", lambda: self._state_changed(peer))
        self.peer = peer
        try:
            await peer.connect(self._signal)
        except BaseException:
            # Refused (e.g. `broadcast_only`) or failed: its sockets go now, not
            # with the next attempt.
            self.peer = None
            await peer.close()
            raise

    async def press(self) -> None:
        """Start talking: the server hears us once it has confirmed."""
        self.talking = True
        if self.peer is not None:
            self.peer.set_sending(True)
        await self._client.request(PushToTalk(pressed=True))

    async def release(self) -> None:
        self.talking = False
        if self.peer is not None:
            self.peer.set_sending(False)
        await self._client.request(PushToTalk(pressed=False))

    def next_frame(self) -> NDArray[np.int16]:
        """20 ms of the room (48 kHz mono), silence while disconnected."""
        if self.peer is None:
            return np.zeros(FRAME_SAMPLES, dtype=np.int16)
        return self.peer.next_frame()

    def next_device_frame(self) -> NDArray[np.int16]:
        """For a sound device's callback: 20 ms, or 10 ms when the playout
        moves the device's phase sooner (``OpusPlayout.next_device_frame``)."""
        if self.peer is None:
            return np.zeros(FRAME_SAMPLES, dtype=np.int16)
        return self.peer.next_device_frame()

    def stats(self) -> PlayoutStats | None:
        return self.peer.playout_stats() if self.peer is not None else None

    async def close(self) -> None:
        self._closing = True
        self._unfollow()
        if self._rebuilding is not None:
            self._rebuilding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._rebuilding
        if self.peer is not None:
            await self.peer.close()

    async def _signal(self, offer: str) -> str:
        answer = await self._client.conn.call_for(MediaOffer(sdp=offer), MediaAnswer)
        self.relayed = answer.relayed
        return answer.sdp

    def _changed(self, change: ClientChange) -> None:
        # Back in the room after a reconnect (the server dropped our media), or
        # the room moved to another node (its media plane never had us), or
        # the server asks (`offer_again`).
        if isinstance(change, LinkUp) and change.rejoined:
            self._lost()
        elif isinstance(change, MediaMoved):
            if change.origin and self.relayed:
                # Our node relays the room: it follows the new origin itself,
                # our connection to it untouched (no offer, no ICE, no DTLS:
                # heard again as soon as the new origin's mix reaches it).
                log.info("the room moved; our node relays it and follows")
                return
            self._lost()

    def _state_changed(self, peer: ClientPeer) -> None:
        state = peer.pc.connectionState
        if peer is not self.peer:
            return
        if state == "connected":
            self.connected.set()
        elif state in ("failed", "closed"):
            self._lost()

    def _lost(self) -> None:
        if self._closing:
            return
        if self._rebuilding is not None and not self._rebuilding.done():
            self._again = True
            return
        self.connected.clear()
        self._rebuilding = asyncio.get_running_loop().create_task(self._rebuild())

    async def _rebuild(self) -> None:
        """A new peer connection through signaling (aiortc has no ICE restart)."""
        while not self._closing:
            self._again = False
            self.connected.clear()
            old, self.peer = self.peer, None
            if old is not None:
                await old.close()
            try:
                await self.start()
            except Exception as exc:  # the signaling may be reconnecting too
                log.info("media reconnect failed, retrying: %r", exc)
                await asyncio.sleep(self._retry_delay)
                continue
            self.rebuilds += 1
            if not self._again:
                try:
                    await asyncio.wait_for(self.connected.wait(), self._connect_timeout)
                except TimeoutError:
                    log.info("media: not connected in %.0f s, again", self._connect_timeout)
                    continue
            if self._again:
                continue
            if self.talking:
                with contextlib.suppress(Exception):
                    await self._client.request(PushToTalk(pressed=True))
            return
