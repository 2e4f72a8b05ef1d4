"""The demo room's talking bots: server-side speakers taking turns on stage.

Each bot is a registered account put on stage through the room core (invited
by the demo host, accepting), so every client sees a consistent, durable
room. Their voices are clips from resources/demo/ mixed into the room's media
plane as local sources keyed by the bot's user id, which also puts them in
`speaking`. The turns are laid out once as one loop per bot: a clip on that
bot's turns, silence on the others' turns and in the pauses between them, so
the mixer's 20 ms clock drives the conversation and nothing else runs.
"""

import contextlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from app.dsp import FRAME_SAMPLES
from app.protocol.model import Role
from app.protocol.requests import AcceptInvite, InviteToStage
from app.resources import resources_dir
from app.server.accounts import AccountError, Accounts
from app.server.hub import RoomHub
from app.server.rooms import Actor, RoomError
from app.server.rooms.state import ParticipantId, participant_id
from app.server.store.api import Store

log = logging.getLogger(__name__)

SPEECH_DIR = resources_dir() / "demo"
RATE = 48_000
FRAME = FRAME_SAMPLES
PAUSE = 1.2  # seconds of silence between turns
LEAD_IN = 0.5  # seconds before the first turn
# Clip files are named NN-<bot>-<lang>.opus; <bot> picks the speaker.
BOTS = {"ayu": "ayu-bot", "budi": "budi-bot"}


@runtime_checkable
class RoomMediaLike(Protocol):
    """What the bots need of a media plane beyond VoiceRooms' MediaPlane."""

    def add_local_source(
        self, key: ParticipantId, source: Callable[[], NDArray[np.int16]]
    ) -> None: ...


@dataclass
class _ServerSide:
    """A hub attachment for a member with no connection (the hub's Attachment)."""

    user_id: int
    room_id: str | None

    def deliver(self, frame: bytes) -> None:
        pass


class LoopSource:
    """One bot's part of the conversation, handed out 20 ms at a time, forever."""

    def __init__(self, samples: NDArray[np.int16]) -> None:
        assert len(samples) % FRAME == 0 and len(samples) > 0
        self._samples = samples
        self._pos = 0

    def __call__(self) -> NDArray[np.int16]:
        frame = self._samples[self._pos : self._pos + FRAME]
        self._pos = (self._pos + FRAME) % len(self._samples)
        return frame


def load_clips(directory: Path = SPEECH_DIR) -> list[tuple[str, NDArray[np.int16]]]:
    """(bot username, 48 kHz mono samples) per clip, in turn order."""
    from app.media.wavfile import read_audio

    clips = []
    for path in sorted(directory.glob("*.opus")):
        bot = BOTS.get(path.stem.split("-")[1]) if "-" in path.stem else None
        if bot is None:
            continue
        clips.append((bot, read_audio(path)))
    return clips


def conversation(
    clips: list[tuple[str, NDArray[np.int16]]], pause: float = PAUSE, lead_in: float = LEAD_IN
) -> dict[str, NDArray[np.int16]]:
    """Per bot, the whole loop (same length for all, whole frames): their turns, else silence."""
    gap = int(pause * RATE)
    start = int(lead_in * RATE)
    turns = []
    pos = start
    for bot, samples in clips:
        turns.append((bot, pos, samples))
        pos += len(samples) + gap
    total = pos - gap + max(gap - start, 0)  # the pause before the loop starts over
    total += -total % FRAME
    parts = {bot: np.zeros(total, dtype=np.int16) for bot, _ in clips}
    for bot, at, samples in turns:
        parts[bot][at : at + len(samples)] = samples
    return parts


async def _account(store: Store, accounts: Accounts, username: str) -> Actor:
    user = await store.find_user(username)
    if user is None:
        # Nobody logs in as a bot; a concurrent registration is fine.
        with contextlib.suppress(AccountError):
            await accounts.register(username, secrets.token_urlsafe(24))
        user = await store.find_user(username)
    assert user is not None, "the bot's account was just created"
    return Actor(user.user_id, user.username)


async def _put_on_stage(hub: RoomHub, host: Actor, bot: Actor, room_id: str) -> None:
    snap = await hub.join(None, bot, room_id, None)
    me = next(m for m in snap.members if m.user_id == bot.user_id)
    if me.role is not Role.LISTENER:
        return  # restored after a restart: still on stage
    moderator = _ServerSide(host.user_id, room_id)
    if not me.invited:
        await hub.command(moderator, host, InviteToStage(user_id=bot.user_id))
    await hub.command(_ServerSide(bot.user_id, room_id), bot, AcceptInvite())


async def start_demo_voices(
    store: Store, accounts: Accounts, hub: RoomHub, host: Actor, room_id: str
) -> list[int]:
    """Put the bots on stage and, on a media-enabled server, start them talking.

    Returns the bots' user ids (on stage even without a media plane)."""
    clips = load_clips()
    if not clips:
        log.warning("no demo speech in %s: the demo room stays quiet", SPEECH_DIR)
        return []
    bots: dict[str, Actor] = {}
    for username in dict.fromkeys(bot for bot, _ in clips):
        bots[username] = await _account(store, accounts, username)
        try:
            await _put_on_stage(hub, host, bots[username], room_id)
        except RoomError as exc:  # e.g. a full stage: the bot stays in the audience
            log.warning("demo: %s cannot go on stage: %s", username, exc)
    plane = _media_plane(hub, room_id)
    if plane is not None:
        for username, samples in conversation(clips).items():
            uid = bots[username].user_id
            try:  # a server-side voice talks like anyone: it holds push-to-talk
                await hub.push_to_talk(_ServerSide(uid, room_id), True)
            except RoomError as exc:  # not on stage: the bot stays quiet
                log.warning("demo: %s cannot talk: %s", username, exc)
            heard = HeardSource(LoopSource(samples), partial(hub.may_be_heard, room_id, uid))
            plane.add_local_source(participant_id(uid), heard)
    return [bot.user_id for bot in bots.values()]


def _media_plane(hub: RoomHub, room_id: str) -> RoomMediaLike | None:
    """The demo room's media plane, started now so the bots talk before anyone joins."""
    plane = hub.voice.ensure_plane(room_id)
    return plane if isinstance(plane, RoomMediaLike) else None


class HeardSource:
    """A bot's voice, mixed only while the room's rules let it be heard: a
    moderator's mute or a move to the audience silences a bot like anyone."""

    def __init__(
        self, source: Callable[[], NDArray[np.int16]], may_be_heard: Callable[[], bool]
    ) -> None:
        self._source = source
        self._may_be_heard = may_be_heard

    def __call__(self) -> NDArray[np.int16]:
        frame = self._source()  # the conversation keeps its timing while muted
        return frame if self._may_be_heard() else np.zeros(FRAME, dtype=np.int16)
