"""The desktop session's replays: the directory's Replays section, the one
replay playing (through the app's audio device, like a room), and the host's
public / private / delete choice. Knows nothing of Qt."""

import asyncio
import logging
import time
from collections.abc import Callable

from app.client import replays
from app.client.audio_backend import AudioBackend
from app.client.session import RoomClient
from app.media.client.replay import ReplayPlayer
from app.protocol.model import ReplayChoice, ReplayInfo

log = logging.getLogger(__name__)
PlayerFactory = Callable[[str, float], ReplayPlayer]
# A link's token expires (4 h on the server): a new one is asked for this long
# before, so that a seek late in a long replay still opens (the server's clock
# and ours may differ a little).
RENEW_BEFORE = 600.0
MIN_RENEW_DELAY = 30.0


class ReplayShelf:
    def __init__(
        self,
        audio: AudioBackend,
        changed: Callable[[], None],
        player_factory: PlayerFactory = ReplayPlayer,
        renew_before: float = RENEW_BEFORE,
        min_renew_delay: float = MIN_RENEW_DELAY,
    ) -> None:
        self.replays: list[ReplayInfo] = []
        self.player: ReplayPlayer | None = None
        self.playing: ReplayInfo | None = None
        self._audio = audio
        self._changed = changed
        self._player_factory = player_factory
        self._renew_before = renew_before
        self._min_renew_delay = min_renew_delay
        self._renewal: asyncio.Task[None] | None = None

    def find(self, recording_id: int) -> ReplayInfo | None:
        return next((r for r in self.replays if r.recording_id == recording_id), None)

    async def refresh(self, client: RoomClient) -> list[ReplayInfo]:
        listed = await replays.list_replays(client)
        if listed != self.replays:
            self.replays = listed
            self._changed()
        return listed

    async def play(self, client: RoomClient, recording_id: int) -> ReplayPlayer:
        """Open the replay and play it on the device (from the start, paused
        never); another replay playing stops first. RecordingError on failure."""
        url, stream = await replays.open_replay(client, recording_id)
        await self.stop()
        player = self._player_factory(url, stream.replay.duration)
        player.start()
        self.player, self.playing = player, stream.replay
        self._renewal = asyncio.get_running_loop().create_task(
            self._renew(client, recording_id, player, stream.expires_at)
        )
        await self._audio.start(player.next_device_frame)
        self._changed()
        return player

    async def stop(self, only: ReplayPlayer | None = None) -> None:
        """Stop the replay playing, if one is (and is `only`, when given); the
        device stops with it."""
        if only is not None and only is not self.player:
            return
        player = self.drop()
        if player is not None:
            await self._audio.stop()
            await asyncio.to_thread(player.close)

    def drop(self) -> ReplayPlayer | None:
        """Forget the player without touching the device (a room takes it
        over); the caller closes the player."""
        player, self.player, self.playing = self.player, None, None
        renewal, self._renewal = self._renewal, None
        if renewal is not None:
            renewal.cancel()
        if player is not None:
            player.pause()
            self._changed()
        return player

    async def choose(self, client: RoomClient, recording_id: int, choice: ReplayChoice) -> None:
        """The host's choice; a deleted replay stops playing first."""
        if choice == "deleted" and self.playing and self.playing.recording_id == recording_id:
            await self.stop()
        await replays.set_replay(client, recording_id, choice)
        await self.refresh(client)

    async def _renew(
        self, client: RoomClient, recording_id: int, player: ReplayPlayer, expires_at: float
    ) -> None:
        """Keep `player`'s link fresh while it is the one playing."""
        while self.player is player:
            delay = max(self._min_renew_delay, expires_at - time.time() - self._renew_before)
            await asyncio.sleep(delay)
            try:
                url, stream = await replays.open_replay(client, recording_id)
            except Exception as exc:  # made private, deleted, a dropped link: try later
                log.info("could not renew the replay's link: %r", exc)
                continue
            player.url = url  # the next seek opens it
            expires_at = stream.expires_at
