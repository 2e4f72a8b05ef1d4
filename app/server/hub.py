"""The rooms shell: feeds commands into the sans-I/O room core, saves the
durable part of each room, and fans events out to the attached connections.

Events are broadcast synchronously right after the core produced them (no
await in between), so every connection sees a room's events in `seq` order;
the request's reply is sent after the durable part is saved. A storage
failure does not stop a live room: the save is retried on every tick.

The audience is a summary: listeners nobody is shown one by one come and go
quietly (the core sets those events aside), and each room's `RoomPulse` sends
the counts and the reactions at most once a second, only when something
changed. Joins pass the admission gate first, so that a reconnect storm is
admitted at a rate the server sustains.
"""

import asyncio
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from app.protocol import encode
from app.protocol.errors import ErrorCode
from app.protocol.events import MemberLeft, Reacted, RoomEnded
from app.protocol.links import build_link
from app.protocol.model import RoomSnapshot, RoomSummary
from app.protocol.replies import AudiencePage, Event, Kicked, KickReason, Speaking
from app.protocol.requests import CreateRoom, ListAudience, SetRecording
from app.server.admission import JoinGate
from app.server.pulse import INTERVAL, RoomPulse
from app.server.recording import Recordings
from app.server.rooms import (
    Actor,
    Outcome,
    Room,
    RoomError,
    audience_count,
    audience_page,
    check,
    create_room,
    handle,
    recording_lost,
    restore,
    snapshot,
    summary,
    tick,
    to_durable,
)
from app.server.rooms.commands import AddInvite, Disconnect, Join, RoomCommand
from app.server.rooms.durable import DurableRoom
from app.server.rooms.permissions import may_be_heard
from app.server.store.api import Store, StoreError
from app.server.voice import VoiceRooms

log = logging.getLogger(__name__)


class Attachment(Protocol):
    """A client connection as the hub sees it."""

    user_id: int
    room_id: str | None

    def deliver(self, frame: bytes) -> None:
        """Queue a frame for sending; never blocks."""
        ...


class RoomHub:
    def __init__(
        self,
        store: Store,
        clock: Callable[[], float],
        grace_period: float,
        server_address: str,
        voice: VoiceRooms | None = None,
        recordings: Recordings | None = None,
        gate: JoinGate | None = None,
        pulse_interval: float = INTERVAL,
    ) -> None:
        self._store = store
        self.voice = voice or VoiceRooms(None)
        # Without a recorder factory every start is refused with a clear error.
        self.recordings = recordings or Recordings(store, self.voice, Path(), None, clock)
        self.recordings.on_failure = self._recording_failed
        self._recording_locks: dict[str, asyncio.Lock] = {}
        self._clock = clock
        self._grace = grace_period
        self.server_address = server_address
        self._rooms: dict[str, Room] = {}
        self._attached: dict[str, dict[int, Attachment]] = {}
        self._saved: dict[str, DurableRoom] = {}
        self._dirty: set[str] = set()
        # One save at a time per room, always of its latest state, so an
        # older snapshot can never overwrite a newer one.
        self._save_locks: dict[str, asyncio.Lock] = {}
        self.gate = gate or JoinGate()
        self._pulses: dict[str, RoomPulse] = {}
        self._pulse_interval = pulse_interval

    # -- start-up and the ticker --------------------------------------------

    async def restore(self) -> int:
        now = self._clock()
        for durable in await self._store.load_live_rooms():
            room = restore(durable, now, self._grace)
            self._rooms[room.room_id] = room
            self._attached[room.room_id] = {}
            self._saved[room.room_id] = durable
        await self._close_interrupted_recordings()
        return len(self._rooms)

    async def _close_interrupted_recordings(self) -> None:
        # Recording is not durable: whatever ran when the server stopped is
        # over, and the rooms it ran in say so with a fresh event.
        try:
            interrupted = await self.recordings.close_unfinished()
        except StoreError as exc:
            log.error("could not close interrupted recordings: %s", exc)
            return
        for room_id in dict.fromkeys(r.room_id for r in interrupted):
            room = self._rooms.get(room_id)
            if room is not None:
                self._publish(room, recording_lost(room, "server_restarted"))

    async def run_ticker(self, interval: float = 0.5) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.tick()

    async def run_speaking(self, interval: float = 0.25) -> None:
        """Push who is talking a few times a second, once more when all fell silent."""
        talking: set[str] = set()
        while True:
            await asyncio.sleep(interval)
            for room_id, levels in self.voice.take_levels().items():
                if levels:
                    talking.add(room_id)
                elif room_id in talking:
                    talking.discard(room_id)  # the one empty list after the last word
                else:
                    continue
                frame = encode(Speaking(room_id=room_id, levels=levels))
                for client in self._attached.get(room_id, {}).values():
                    client.deliver(frame)

    async def tick(self) -> None:
        now = self._clock()
        for room in list(self._rooms.values()):
            self._publish(room, tick(room, now))
        for room_id in list(self._rooms):
            await self._save(room_id)
        self._forget_ended()

    async def flush(self) -> None:
        for room_id in list(self._rooms):
            await self._save(room_id)

    async def close(self) -> None:
        await self.recordings.close()
        await self.flush()
        await self.voice.close()

    # -- queries ---------------------------------------------------------------

    @property
    def room_count(self) -> int:
        return len(self._rooms)

    def list_rooms(self, user_id: int) -> list[RoomSummary]:
        # Invite-only rooms stay out of the directory unless you are in them.
        return [
            summary(room)
            for room in self._rooms.values()
            if room.status == "live" and (not room.invite_only or user_id in room.members)
        ]

    def live_room_hosted_by(self, user_id: int) -> str | None:
        for room in self._rooms.values():
            if room.status == "live" and room.host_id == user_id:
                return room.room_id
        return None

    def may_be_heard(self, room_id: str, user_id: int) -> bool:
        """The core's rule (live, on stage, not muted), for server-side voices."""
        room = self._rooms.get(room_id)
        return room is not None and may_be_heard(room, user_id)

    def snapshot_of(self, client: Attachment) -> RoomSnapshot:
        return snapshot(self._room_of(client), client.user_id)

    def audience_page(self, client: Attachment, actor: Actor, req: ListAudience) -> AudiencePage:
        """A page of the listeners, for a moderator (the core's gate decides)."""
        room = self._room_of(client)
        check(room, actor, req)
        return audience_page(room, req.after, req.prefix, req.limit)

    # -- commands -------------------------------------------------------------

    async def create(
        self, client: Attachment | None, actor: Actor, req: CreateRoom
    ) -> RoomSnapshot:
        """Create a room hosted by `actor`; `client` None is a server-side host (the demo)."""
        if client is not None:
            self._require_no_room(client)
        room_id = secrets.token_urlsafe(6)
        room = create_room(
            room_id,
            actor,
            req.title,
            req.topic,
            req.invite_only,
            req.stage_capacity,
            self._clock(),
            self._grace,
        )
        self._rooms[room_id] = room
        self._attached[room_id] = {}
        if client is not None:
            self._attach(client, room_id)
        await self._save(room_id)
        return snapshot(room, actor.user_id)

    async def join(
        self, client: Attachment | None, actor: Actor, room_id: str, invite_code: str | None
    ) -> RoomSnapshot:
        """Join, or rejoin after a reconnect; `client` None is a server-side member (the demo)."""
        if client is not None and client.room_id not in (None, room_id):
            raise RoomError(ErrorCode.ALREADY_IN_ROOM, "leave your current room first")
        room = self._rooms.get(room_id)
        if room is None:
            raise RoomError(ErrorCode.ROOM_NOT_FOUND, "no live room has that id")
        place = room.members.get(actor.user_id)
        if client is not None and (place is None or not place.on_stage):
            # The stage comes back at once; the audience waits its turn (or
            # is told when to come back: Busy).
            wait = self.gate.reserve(asyncio.get_running_loop().time())
            if wait > 0:
                await asyncio.sleep(wait)
            room = self._rooms.get(room_id)
            if room is None:
                raise RoomError(ErrorCode.ROOM_NOT_FOUND, "no live room has that id")
        before = to_durable(room)
        # Published before attaching: the joiner learns of its own join from
        # the snapshot in the reply, not from an extra frame.
        self._publish(room, handle(room, actor, Join(invite_code), self._clock()))
        if client is not None:
            self._attach(client, room_id)
        await self._save_if_changed(room, before)
        return snapshot(room, actor.user_id)

    async def command(self, client: Attachment, actor: Actor, command: RoomCommand) -> None:
        room = self._room_of(client)
        before = to_durable(room)
        self._publish(room, handle(room, actor, command, self._clock()))
        await self._save_if_changed(room, before)
        self._forget_ended()

    async def create_invite(self, client: Attachment, actor: Actor) -> tuple[str, str]:
        room = self._room_of(client)
        code = secrets.token_urlsafe(12)
        self._publish(room, handle(room, actor, AddInvite(code), self._clock()))
        await self._save(room.room_id)
        return code, build_link(self.server_address, room.room_id, code)

    async def set_recording(self, client: Attachment, actor: Actor, on: bool) -> None:
        """Start or stop recording: the core's gate first, then the file, then the event."""
        room = self._room_of(client)
        command = SetRecording(id=0, on=on)
        # One switch at a time per room, so that two moderators never open two files.
        async with self._recording_locks.setdefault(room.room_id, asyncio.Lock()):
            check(room, actor, command)
            started = False
            if on and not room.recording:
                await self.recordings.start(room, actor.user_id)
                started = True
            try:
                events = handle(room, actor, command, self._clock())
            except RoomError:
                if started:  # the room ended while the file was being opened
                    await self.recordings.stop(room.room_id)
                raise
            self._publish(room, events)
        if not on:
            # Answer once the file and its row are final, so the owner can fetch it.
            await self.recordings.stop(room.room_id)
        self._forget_ended()

    def _recording_failed(self, room_id: str, reason: str) -> None:
        room = self._rooms.get(room_id)
        if room is not None and room.recording and self.recordings.active(room_id):
            self._publish(room, recording_lost(room, "failed", reason))

    async def media_offer(self, client: Attachment, sdp: str) -> str:
        room = self._room_of(client)
        return await self.voice.offer(room, client.user_id, sdp)

    def push_to_talk(self, client: Attachment, pressed: bool) -> None:
        self.voice.push_to_talk(self._room_of(client), client.user_id, pressed)

    async def detach(self, client: Attachment) -> None:
        """The connection is gone: the member keeps their place for the grace period."""
        room_id = client.room_id
        if room_id is None:
            return
        client.room_id = None
        attached = self._attached.get(room_id, {})
        if attached.get(client.user_id) is not client:
            return  # already replaced by a newer connection, or removed
        del attached[client.user_id]
        self.voice.drop(room_id, client.user_id)
        room = self._rooms[room_id]
        if room.status == "live" and client.user_id in room.members:
            actor = Actor(client.user_id, room.members[client.user_id].name)
            before = to_durable(room)
            self._publish(room, handle(room, actor, Disconnect(), self._clock()))
            await self._save_if_changed(room, before)

    # -- internals -------------------------------------------------------------

    async def _save_if_changed(self, room: Room, before: DurableRoom) -> None:
        """Save when this change touched the durable part. Most of an audience's
        doings (joins, drops, hands, reactions) do not, and must not queue up
        behind the room's save lock while a moderator's change is written."""
        if to_durable(room) != before:
            await self._save(room.room_id)

    def _room_of(self, client: Attachment) -> Room:
        room = self._rooms.get(client.room_id) if client.room_id else None
        if room is None:
            raise RoomError(ErrorCode.NOT_IN_ROOM, "join a room first")
        return room

    def _require_no_room(self, client: Attachment) -> None:
        if client.room_id is not None:
            raise RoomError(ErrorCode.ALREADY_IN_ROOM, "leave your current room first")

    def _attach(self, client: Attachment, room_id: str) -> None:
        attached = self._attached[room_id]
        previous = attached.get(client.user_id)
        if previous is not None and previous is not client:
            previous.room_id = None
            previous.deliver(encode(Kicked(room_id=room_id, reason="replaced")))
        attached[client.user_id] = client
        client.room_id = room_id

    def _publish(self, room: Room, outcome: Outcome) -> None:
        attached = self._attached[room.room_id]
        for seq, event in outcome.events:
            # Encoded once, the same bytes for every member.
            frame = encode(Event(room_id=room.room_id, seq=seq, event=event))
            for client in list(attached.values()):
                client.deliver(frame)
            if isinstance(event, MemberLeft):
                self._kick(room.room_id, [event.user_id], event.reason)
            elif isinstance(event, RoomEnded):
                self._kick(room.room_id, list(attached), "ended")
        for event in outcome.quiet:
            if isinstance(event, MemberLeft):
                self._kick(room.room_id, [event.user_id], event.reason)
            elif isinstance(event, Reacted):
                member = room.members.get(event.user_id)
                name = member.name if member is not None else ""
                self._pulse(room.room_id).react(event.user_id, name, event.reaction)
        if not room.recording and self.recordings.active(room.room_id):
            # Stopped by a moderator, a failure or the room's end: finish the file.
            self.recordings.stop_soon(room.room_id)
        if outcome.events:
            # Stage moves, mutes and departures change who the mix may carry.
            self.voice.sync(room)
        if outcome and room.live:
            self._schedule_pulse(room.room_id)

    def _pulse(self, room_id: str) -> RoomPulse:
        pulse = self._pulses.get(room_id)
        if pulse is None:
            pulse = self._pulses[room_id] = RoomPulse(room_id, self._pulse_interval)
        return pulse

    def _schedule_pulse(self, room_id: str) -> None:
        """Send the room's summary as soon as the once-a-second rule allows."""
        pulse = self._pulse(room_id)
        if pulse.scheduled:
            return  # what changed since goes out with it
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # a test driving the hub without a loop; flush_pulse sends
        pulse.scheduled = True
        loop.call_later(pulse.due_in(loop.time()), self._send_pulse, room_id)

    def _send_pulse(self, room_id: str) -> None:
        pulse = self._pulses.get(room_id)
        if pulse is None:
            return
        pulse.scheduled = False
        self.flush_pulse(room_id, asyncio.get_running_loop().time())

    def flush_pulse(self, room_id: str, now: float) -> int:
        """Send the room's counts and reactions if they changed; frames sent per member."""
        room = self._rooms.get(room_id)
        if room is None or not room.live:
            return 0
        pulse = self._pulse(room_id)
        frames = pulse.frames(audience_count(room), now)
        for client in list(self._attached.get(room_id, {}).values()):
            for frame in frames:
                client.deliver(frame)
        return len(frames)

    def _kick(self, room_id: str, user_ids: list[int], reason: KickReason) -> None:
        attached = self._attached[room_id]
        frame = encode(Kicked(room_id=room_id, reason=reason))
        for user_id in user_ids:
            client = attached.pop(user_id, None)
            self.voice.drop(room_id, user_id)
            if client is not None:
                client.room_id = None
                client.deliver(frame)

    async def _save(self, room_id: str) -> None:
        async with self._save_locks.setdefault(room_id, asyncio.Lock()):
            await self._save_latest(room_id)

    async def _save_latest(self, room_id: str) -> None:
        room = self._rooms.get(room_id)
        if room is None:
            return
        durable = to_durable(room)
        if self._saved.get(room_id) == durable:
            return
        try:
            await self._store.save_room(durable)
        except StoreError as exc:
            if room_id not in self._dirty:
                log.error("saving room %s failed, will retry: %s", room_id, exc)
            self._dirty.add(room_id)
            return
        self._dirty.discard(room_id)
        self._saved[room_id] = durable

    def _forget_ended(self) -> None:
        for room_id, room in list(self._rooms.items()):
            if room.status == "ended" and room_id not in self._dirty:
                del self._rooms[room_id]
                del self._attached[room_id]
                self._saved.pop(room_id, None)
                self._save_locks.pop(room_id, None)
                self._recording_locks.pop(room_id, None)
                self._pulses.pop(room_id, None)
