"""Per-speaker volume, as the listener sets it: remembered by username in the
settings, sent to the server as user ids for the people in the room.

The server mixes a listener who changed a speaker's volume on their own
(`set_speaker_volumes`, docs/media.md), so what is sent is the whole set for
the room's current stage, and only when it differs from what was last sent
(or refused): moving a slider sends at most one request at a time, the last
value once the previous one is answered.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from app.client.app_settings import Settings
from app.client.connection import RequestFailed
from app.client.room_model import RoomModel

log = logging.getLogger(__name__)

MIN_PERCENT, MAX_PERCENT, NORMAL = 0, 200, 100

Send = Callable[[dict[int, int]], Awaitable[object]]
Spawn = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[Any] | None"]


def parse(text: str) -> dict[str, int]:
    """``"alice=50 bob=200"`` -> by name, percents held to 0..200, 100s dropped."""
    volumes: dict[str, int] = {}
    for pair in text.split():
        name, _, value = pair.rpartition("=")
        if name and value.isdigit():
            percent = min(MAX_PERCENT, int(value))
            if percent != NORMAL:
                volumes[name] = percent
    return volumes


def format_volumes(volumes: dict[str, int]) -> str:
    return " ".join(f"{name}={pct}" for name, pct in sorted(volumes.items()) if pct != NORMAL)


class SpeakerVolumes:
    def __init__(
        self,
        settings: Settings,
        send: Send,
        spawn: Spawn,
        refused: Callable[[RequestFailed], None],
    ) -> None:
        self._settings = settings
        self._send = send
        self._spawn = spawn
        self._refused = refused
        self._model: RoomModel | None = None
        self._live = False
        self._sent: dict[int, int] = {}  # what the server has (or refused) for this room
        self._sending: asyncio.Task[Any] | None = None

    def get(self, name: str) -> int:
        return parse(self._settings.speaker_volumes).get(name, NORMAL)

    def set(self, name: str, percent: int) -> None:
        """Hear ``name`` at ``percent`` (0..200) from now on, in every room."""
        volumes = parse(self._settings.speaker_volumes)
        volumes[name] = max(MIN_PERCENT, min(MAX_PERCENT, percent))
        self._settings.speaker_volumes = format_volumes(volumes)
        self._push()

    def reset(self, name: str) -> None:
        self.set(name, NORMAL)

    def wanted(self) -> dict[int, int]:
        """The stored volumes of the people on this room's stage, by user id."""
        if self._model is None:
            return {}
        volumes = parse(self._settings.speaker_volumes)
        return {
            member.user_id: volumes[member.name]
            for member in self._model.stage()
            if member.name in volumes
        }

    def room(self, model: RoomModel | None, live: bool) -> None:
        """The room (or its stage) changed; ``live``: the live audio link is
        up (a broadcast listener has no mix of their own)."""
        self._model, self._live = model, live
        self._push()

    def forget(self) -> None:
        """Left the room, or back after the server may have dropped our audio."""
        self._sent = {}
        self._model = None

    def _push(self) -> None:
        if not self._live or self._model is None:
            return
        if self._sending is not None and not self._sending.done():
            return  # it checks again when answered
        if self.wanted() != self._sent:
            self._sending = self._spawn(self._send_wanted())

    async def _send_wanted(self) -> None:
        while self._live and self._model is not None and (wanted := self.wanted()) != self._sent:
            self._sent = wanted  # a refusal is not retried until the wish changes
            try:
                await self._send(wanted)
            except RequestFailed as exc:
                self._refused(exc)
            except Exception as exc:  # connection lost: sent again on the way back
                log.info("speaker volumes not sent: %r", exc)
                self._sent = {}
                return
