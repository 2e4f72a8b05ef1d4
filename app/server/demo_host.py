"""The demo room's host at work: a raised hand is approved after a moment,
greeted by the host's voice, and moved back to the audience after a turn, so
that the next newcomer can try.

Everything goes through the room's normal requests as the (server-side) host
member, so the demo obeys the same rules as any room: a full stage, a lowered
hand, a guest who left, all simply mean nothing to do. The host looks at the
room once per `poll` seconds (a snapshot lists the stage and the raised hands,
never the whole audience), which costs nothing next to the mixer's 20 ms clock.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from numpy.typing import NDArray

from app.protocol.model import Role
from app.protocol.requests import ApproveHand, MoveToAudience
from app.resources import resources_dir
from app.server.demo_voices import FRAME, HeardSource, RoomMediaLike, _ServerSide
from app.server.hub import RoomHub
from app.server.rooms import Actor, RoomError
from app.server.rooms.state import participant_id

log = logging.getLogger(__name__)

GREETING = resources_dir() / "demo" / "greeting-host-en.opus"
APPROVE_AFTER = 2.0  # seconds a hand is up before the host brings them up
TURN = 60.0  # seconds a guest keeps the stage before going back to the audience
POLL = 0.5


class Greeting:
    """The host's hello: silent until `play()`, then the clip once."""

    def __init__(self, samples: NDArray[np.int16]) -> None:
        pad = -len(samples) % FRAME
        self._samples = np.concatenate([samples, np.zeros(pad, dtype=np.int16)])
        self._pos: int | None = None
        self.played = 0

    def play(self) -> None:
        self._pos = 0
        self.played += 1

    def __call__(self) -> NDArray[np.int16]:
        if self._pos is None:
            return np.zeros(FRAME, dtype=np.int16)
        frame = self._samples[self._pos : self._pos + FRAME]
        self._pos += FRAME
        if self._pos >= len(self._samples):
            self._pos = None
        return frame


@dataclass
class DemoHost:
    hub: RoomHub
    host: Actor
    room_id: str
    approve_after: float = APPROVE_AFTER
    turn: float = TURN
    poll: float = POLL
    clock: Callable[[], float] = time.monotonic
    greeting: Greeting | None = None
    bots: frozenset[int] = frozenset()
    # When we first saw each hand up, and when each guest came on stage.
    _hands: dict[int, float] = field(default_factory=dict)
    _guests: dict[int, float] = field(default_factory=dict)

    async def run(self) -> None:
        if self.greeting is not None:
            # A server-side voice talks like anyone: it holds push-to-talk.
            with contextlib.suppress(RoomError):
                seat = _ServerSide(self.host.user_id, self.room_id)
                await self.hub.push_to_talk(seat, True)
        while True:
            try:
                if not await self.step():
                    return  # the room is gone
            except Exception:  # one bad round must not end the demo
                log.exception("demo host")
            await asyncio.sleep(self.poll)

    async def step(self) -> bool:
        """One look at the room; False once it no longer exists."""
        seat = _ServerSide(self.host.user_id, self.room_id)
        try:
            snap = await self.hub.snapshot_of(seat)
        except RoomError:
            return False
        if snap.status != "live":
            return False
        now = self.clock()
        members = {m.user_id: m for m in snap.members}
        hands = {
            uid
            for uid, m in members.items()
            if m.role is Role.LISTENER and m.hand_raised_at is not None
        }
        self._hands = {uid: self._hands.get(uid, now) for uid in hands}
        guests = {
            uid
            for uid, m in members.items()
            if m.role is Role.SPEAKER and uid not in self.bots and uid != self.host.user_id
        }
        self._guests = {uid: self._guests.get(uid, now) for uid in guests}
        for uid, since in sorted(self._hands.items(), key=lambda item: item[1]):
            if now - since >= self.approve_after and await self._ask(ApproveHand(user_id=uid)):
                del self._hands[uid]
                self._guests[uid] = now
                if self.greeting is not None:
                    self.greeting.play()
        for uid, since in list(self._guests.items()):
            if now - since >= self.turn and await self._ask(MoveToAudience(user_id=uid)):
                del self._guests[uid]
        return True

    async def _ask(self, request: ApproveHand | MoveToAudience) -> bool:
        try:
            await self.hub.command(_ServerSide(self.host.user_id, self.room_id), self.host, request)
        except RoomError as exc:  # a full stage, a hand lowered meanwhile: next round
            log.info("demo host: %s refused: %s", request.__class__.__name__, exc)
            return False
        return True


def load_greeting() -> Greeting | None:
    if not GREETING.exists():
        log.warning("no demo greeting at %s: the host approves hands silently", GREETING)
        return None
    from app.media.wavfile import read_audio

    return Greeting(read_audio(GREETING))


def start_demo_host(
    hub: RoomHub,
    host: Actor,
    room_id: str,
    bots: list[int],
    approve_after: float = APPROVE_AFTER,
    turn: float = TURN,
) -> "asyncio.Task[None]":
    """Start the host's loop (cancel the task to stop it); its voice joins the mix."""
    greeting = load_greeting()
    plane = hub.voice.ensure_plane(room_id)
    if greeting is not None and isinstance(plane, RoomMediaLike):
        heard = partial(hub.may_be_heard, room_id, host.user_id)
        plane.add_local_source(participant_id(host.user_id), HeardSource(greeting, heard))
    demo = DemoHost(
        hub, host, room_id, approve_after, turn, greeting=greeting, bots=frozenset(bots)
    )
    return asyncio.get_running_loop().create_task(demo.run(), name="demo host")
