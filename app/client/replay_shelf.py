"""The desktop session's replays: the directory's Replays section, the one
replay playing (through the app's audio device, like a room), and the host's
public / private / delete choice. Knows nothing of Qt."""

import asyncio
from collections.abc import Callable

from app.client import replays
from app.client.audio_backend import AudioBackend
from app.client.session import RoomClient
from app.media.client.replay import ReplayPlayer
from app.protocol.model import ReplayChoice, ReplayInfo

PlayerFactory = Callable[[str, float], ReplayPlayer]


class ReplayShelf:
    def __init__(
        self,
        audio: AudioBackend,
        changed: Callable[[], None],
        player_factory: PlayerFactory = ReplayPlayer,
    ) -> None:
        self.replays: list[ReplayInfo] = []
        self.player: ReplayPlayer | None = None
        self.playing: ReplayInfo | None = None
        self._audio = audio
        self._changed = changed
        self._player_factory = player_factory

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
