"""What the speakers play in a room: the live link, or, past the server's live
capacity (`broadcast_only`), the room's broadcast (HLS, a few seconds behind)
until the stage calls.

The device keeps running through a switch: it pulls `RoomAudio.pull`, which
reads whichever source is current. Going live (invited to the stage, or put
on it) opens the live link while the broadcast still plays, and switches only
once that link is connected, so a broadcast
listener goes up hearing what the stage hears, not what it said 2 s ago.
"""

import asyncio
import contextlib
import enum
import logging
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from app.client.audio_backend import AudioBackend, Frame
from app.client.connection import RequestFailed
from app.client.session import RoomClient
from app.client.voice_link import VoiceLink
from app.dsp import FRAME_SAMPLES
from app.media.client.hls import HlsPlayer
from app.protocol.replies import BroadcastStream
from app.protocol.requests import ListenBroadcast

log = logging.getLogger(__name__)

LIVE_TIMEOUT = 5.0  # seconds for a live link to be heard before giving up (and staying)


class Tier(enum.Enum):
    NONE = "none"  # not started, or no audio
    LIVE = "live"
    BROADCAST = "broadcast"


class RoomAudio:
    def __init__(
        self,
        client: RoomClient,
        link: VoiceLink,
        audio: AudioBackend,
        on_tier: Callable[[], None],
        player_factory: Callable[[str], HlsPlayer] = HlsPlayer,
    ) -> None:
        self._client = client
        self.link = link
        self._audio = audio
        self._on_tier = on_tier
        self._player_factory = player_factory
        self.tier = Tier.NONE
        self.behind_seconds = 0.0
        self.player: HlsPlayer | None = None
        self._source: Callable[[], Frame] = _silence
        self._going_live: asyncio.Task[bool] | None = None

    async def start(self) -> None:
        """The live link if the server gives one, else the broadcast; then the device."""
        try:
            await self.link.start()
        except RequestFailed as exc:
            if exc.code != "broadcast_only":
                raise
            await self._listen_broadcast()
        else:
            self._set(Tier.LIVE, self.link.next_device_frame)
        await self._audio.start(self.pull)

    def pull(self) -> Frame:
        """For the device: 20 ms (or 10) of whichever tier plays now."""
        return self._source()

    def want_live(self) -> None:
        """Invited to or put on the stage: go live in the background (once)."""
        if self.tier is Tier.BROADCAST and self._going_live is None:
            self._going_live = asyncio.get_running_loop().create_task(self._go_live())

    async def live(self) -> bool:
        """Live before going up: waits for the switch (at most LIVE_TIMEOUT);
        False if the live room could not be heard (the broadcast keeps playing)."""
        if self.tier is not Tier.BROADCAST:
            return self.tier is Tier.LIVE
        self.want_live()
        assert self._going_live is not None
        return await asyncio.shield(self._going_live)

    async def close(self) -> None:
        task, self._going_live = self._going_live, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._stop_player()

    async def _listen_broadcast(self) -> None:
        stream = await self._client.conn.call_for(ListenBroadcast(), BroadcastStream)
        player = self._player_factory(_http_url(self._client.url, stream.playlist))
        player.start()
        self.player = player
        self.behind_seconds = stream.behind_seconds
        self._set(Tier.BROADCAST, player.next_device_frame)

    async def _go_live(self) -> bool:
        try:
            async with asyncio.timeout(LIVE_TIMEOUT):
                await self.link.start()
                # Connected: the room's mix flows at once (the server sends it
                # every 20 ms), and the playout buffer fills before it plays.
                await self.link.connected.wait()
        except (TimeoutError, RequestFailed, OSError) as exc:
            log.warning("could not go live from the broadcast: %r", exc)
            self._going_live = None  # a later call may try again
            return False
        self._set(Tier.LIVE, self.link.next_device_frame)
        await self._stop_player()
        return True

    async def _stop_player(self) -> None:
        player, self.player = self.player, None
        if player is not None:
            await asyncio.to_thread(player.close)

    def _set(self, tier: Tier, source: Callable[[], Frame]) -> None:
        self._source = source
        self.tier = tier
        self._on_tier()


def _http_url(ws_url: str, path: str) -> str:
    """The server's HTTP address for a path, from its WebSocket URL."""
    parts = urlsplit(ws_url)
    scheme = "https" if parts.scheme == "wss" else "http"
    return urlunsplit((scheme, parts.netloc, path, "", ""))


def _silence() -> Frame:
    return np.zeros(FRAME_SAMPLES, dtype=np.int16)
