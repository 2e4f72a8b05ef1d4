"""The rooms shell: feeds commands into the sans-I/O room core, saves the
durable part of each room, and fans events out to the attached connections.

Events are broadcast synchronously right after the core produced them (no
await in between), so every connection sees a room's events in `seq` order.
Rooms answer from memory and never wait for the database: the durable part
is written behind the reply, one save at a time per room and always of its
latest state (the durability contract is in docs/protocol.md, "Durability").
A failing or hung store does not stop a live room: the save is retried on
the ticker, the room's moderators are told that its changes are not being
saved (`storage_status`), and /healthz reports it. Any single failure - a
room whose tick or save raises, a store that times out - is logged (rate
limited), and every other room goes on.

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
from app.protocol.model import Role, RoomSnapshot, RoomSummary
from app.protocol.replies import AudiencePage, Event, Kicked, KickReason, Speaking, StorageStatus
from app.protocol.requests import CreateRoom, ListAudience, SetRecording
from app.server.admission import JoinGate
from app.server.logs import RateLimitedLog
from app.server.pulse import BUDGET, INTERVAL, RoomPulse
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
MODERATORS = frozenset({Role.HOST, Role.COHOST})
# A room whose save failed is tried again after this, doubling up to the cap.
RETRY_FIRST = 0.5
RETRY_MAX = 8.0


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
        pulse_budget: int = BUDGET,
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
        # Rooms whose last save failed: when their changes stopped being saved,
        # and when to try again.
        self._unsaved: dict[str, float] = {}
        self._retry: dict[str, tuple[float, float]] = {}
        # The moderator connections told that their room is not being saved.
        self._told: dict[str, dict[int, Attachment]] = {}
        # One save at a time per room, always of its latest state, so an
        # older snapshot can never overwrite a newer one.
        self._save_locks: dict[str, asyncio.Lock] = {}
        self._saving: dict[str, asyncio.Task[None]] = {}
        self.storage = StorageHealth()
        self._faults = RateLimitedLog(log)
        self.gate = gate or JoinGate()
        self._pulses: dict[str, RoomPulse] = {}
        self._pulse_interval = pulse_interval
        self._pulse_budget = pulse_budget

    # -- start-up and the ticker --------------------------------------------

    async def restore(self) -> int:
        now = self._clock()
        for durable in await self._store.load_live_rooms():
            try:
                room = restore(durable, now, self._grace)
            except Exception:  # one unreadable room must not keep the others down
                log.exception("could not restore room %s; it stays stored as it was", durable)
                continue
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
        except Exception as exc:  # StoreError mostly; never a reason not to start
            log.error("could not close interrupted recordings: %s", exc)
            return
        for room_id in dict.fromkeys(r.room_id for r in interrupted):
            room = self._rooms.get(room_id)
            if room is not None:
                self._publish(room, recording_lost(room, "server_restarted"))

    async def run_ticker(self, interval: float = 0.5) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.tick()
            except Exception:  # the clock of every room: it must never stop
                self._faults.error("ticker", "the ticker failed; it goes on", exc_info=True)

    async def run_speaking(self, interval: float = 0.25) -> None:
        """Push who is talking a few times a second, once more when all fell silent."""
        talking: set[str] = set()
        while True:
            await asyncio.sleep(interval)
            try:
                levels_of = self.voice.take_levels()
            except Exception:
                self._faults.error("speaking", "could not read speaking levels", exc_info=True)
                continue
            for room_id, levels in levels_of.items():
                if levels:
                    talking.add(room_id)
                elif room_id in talking:
                    talking.discard(room_id)  # the one empty list after the last word
                else:
                    continue
                try:
                    frame = encode(Speaking(room_id=room_id, levels=levels))
                    for client in list(self._attached.get(room_id, {}).values()):
                        client.deliver(frame)
                except Exception:
                    self._faults.error(
                        f"speaking {room_id}", "room %s: speaking failed", room_id, exc_info=True
                    )

    async def run_storage_check(self, interval: float = 5.0) -> None:
        """Probe the store now and then, so that trouble shows in /healthz even
        while no room changes (a deleted SQLite file, a read-only disk)."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self._store.check()
            except StoreError as exc:
                self.storage.failed(str(exc), self._clock())
                self._faults.error("storage check", "storage cannot take writes: %s", exc)
            except Exception as exc:
                self.storage.failed(f"storage check failed: {exc!r}", self._clock())
                self._faults.error("storage check", "the storage check failed", exc_info=True)
            else:
                if self.storage.problem is not None and not self._unsaved:
                    log.info("storage takes writes again")
                    self._faults.forget("storage check")
                    self.storage.recovered()

    async def tick(self) -> None:
        """Run every room's clock; each room on its own, so one that fails stays alone."""
        now = self._clock()
        for room in list(self._rooms.values()):
            try:
                self._publish(room, tick(room, now))
            except Exception:
                self._faults.error(
                    f"tick {room.room_id}",
                    "room %s: its tick failed; the other rooms go on",
                    room.room_id,
                    exc_info=True,
                )
        for room_id in list(self._rooms):
            self._save_soon(room_id, now)
        self._tell_moderators()
        self._forget_ended()

    async def flush(self) -> None:
        """Save every room now and wait for it (at shutdown); never raises.

        All rooms at once: with storage hung, shutdown waits about one
        database timeout, not one per room.
        """
        running = [task for task in self._saving.values() if not task.done()]
        if running:
            await asyncio.wait(running)
        rooms = list(self._rooms)
        await asyncio.gather(
            *(self._save_now(room_id) for room_id in rooms), return_exceptions=True
        )

    async def _save_now(self, room_id: str) -> None:
        async with self._save_locks.setdefault(room_id, asyncio.Lock()):
            while await self._save_latest(room_id):
                pass

    async def close(self) -> None:
        # Each step on its own: a failed one must not skip the saves.
        for step, name in ((self.recordings.close, "recordings"), (self.flush, "saves")):
            try:
                await step()
            except Exception:
                log.exception("closing %s failed", name)
        try:
            await self.voice.close()
        except Exception:
            log.exception("closing the media plane failed")

    def storage_report(self) -> dict[str, object]:
        """For /healthz: whether storage works, and how many rooms are not saved."""
        return {
            "ok": self.storage.problem is None and not self._unsaved,
            "problem": self.storage.problem,
            "since": self.storage.since,
            "unsaved_rooms": len(self._unsaved),
        }

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
        room_id = new_room_id()
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
            wait = self.gate.reserve(asyncio.get_running_loop().time(), actor.user_id)
            if wait > 0:
                await asyncio.sleep(wait)
            room = self._rooms.get(room_id)
            if room is None:
                raise RoomError(ErrorCode.ROOM_NOT_FOUND, "no live room has that id")
        # Published before attaching: the joiner learns of its own join from
        # the snapshot in the reply, not from an extra frame.
        outcome = handle(room, actor, Join(invite_code), self._clock())
        self._publish(room, outcome)
        if client is not None:
            self._attach(client, room_id)
        self._save_after(room, outcome)
        return snapshot(room, actor.user_id)

    async def command(self, client: Attachment, actor: Actor, command: RoomCommand) -> None:
        room = self._room_of(client)
        outcome = handle(room, actor, command, self._clock())
        self._publish(room, outcome)
        self._save_after(room, outcome)
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
            outcome = handle(room, actor, Disconnect(), self._clock())
            self._publish(room, outcome)
            self._save_after(room, outcome)

    # -- internals -------------------------------------------------------------

    def _save_after(self, room: Room, outcome: Outcome) -> None:
        """Have the room saved unless the change was only the audience's doings.

        Quiet events are about listeners shown to nobody (no stage, no hand):
        their joins, drops, returns and reactions never touch the durable part,
        so they skip even the comparison with what was saved, which is
        O(stage + hands): a join storm must not pay it per join. A quiet
        departure may be a ban, and a command with no event at all may change
        bans or invites: those go to `_save_soon`, which compares first.
        """
        audience_only = bool(outcome.quiet) and not outcome.events
        if audience_only and not any(isinstance(e, MemberLeft) for e in outcome.quiet):
            return
        self._save_soon(room.room_id)

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
            pulse = self._pulses[room_id] = RoomPulse(
                room_id, self._pulse_interval, self._pulse_budget
            )
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
        members = len(self._attached.get(room_id, ()))
        loop.call_later(pulse.due_in(loop.time(), members), self._send_pulse, room_id)

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
        """Have the room's durable part saved behind the reply; returns at once.

        Write-behind: the room answers from memory, so a slow or hung database
        never holds up a request (see the module docstring).
        """
        self._save_soon(room_id)

    def _save_soon(self, room_id: str, now: float | None = None) -> None:
        running = self._saving.get(room_id)
        if running is not None and not running.done():
            return  # it saves again before finishing if the room changed meanwhile
        retry = self._retry.get(room_id)
        if now is not None and retry is not None and now < retry[0]:
            return  # failed lately: the ticker tries again after a pause
        room = self._rooms.get(room_id)
        if room is None:
            return
        try:
            if self._saved.get(room_id) == to_durable(room):
                self._saved_ok(room_id)
                return  # nothing new: no task for it
        except Exception as exc:
            self._save_failed(room_id, exc)
            return
        task = asyncio.get_running_loop().create_task(self._save_behind(room_id))
        self._saving[room_id] = task
        task.add_done_callback(lambda done: self._save_done(room_id, done))

    def _save_done(self, room_id: str, task: "asyncio.Task[None]") -> None:
        if self._saving.get(room_id) is task:
            del self._saving[room_id]

    async def _save_behind(self, room_id: str) -> None:
        await self._save_now(room_id)

    async def _save_latest(self, room_id: str) -> bool:
        """Store the room's latest durable state; True if it saved something and
        the room changed meanwhile (save again). Never raises."""
        room = self._rooms.get(room_id)
        if room is None:
            return False
        try:
            durable = to_durable(room)
            if self._saved.get(room_id) == durable:
                self._saved_ok(room_id)
                return False
            await self._store.save_room(durable)
        except Exception as exc:
            self._save_failed(room_id, exc)
            return False
        self._saved[room_id] = durable
        self._saved_ok(room_id)
        return room_id in self._rooms and to_durable(room) != durable

    def _save_failed(self, room_id: str, exc: Exception) -> None:
        now = self._clock()
        reason = str(exc) if isinstance(exc, StoreError) else f"unexpected error: {exc!r}"
        self._faults.error(
            f"save {room_id}",
            "saving room %s failed; its changes live in memory only, retrying: %s",
            room_id,
            reason,
            exc_info=not isinstance(exc, StoreError),
        )
        self._unsaved.setdefault(room_id, now)
        pause = min(RETRY_MAX, 2 * self._retry[room_id][1]) if room_id in self._retry else 0
        pause = pause or RETRY_FIRST
        self._retry[room_id] = (now + pause, pause)
        self.storage.failed(reason, now)

    def _saved_ok(self, room_id: str) -> None:
        self._retry.pop(room_id, None)
        if self._unsaved.pop(room_id, None) is not None:
            self._faults.forget(f"save {room_id}")
            log.info("room %s is saved again", room_id)
            if not self._unsaved:
                self.storage.recovered()

    def _tell_moderators(self) -> None:
        """Tell each room's moderators, once, that its changes are not being saved;
        and once more when they are again."""
        for room_id in set(self._unsaved) | set(self._told):
            try:
                self._tell_room(room_id)
            except Exception:
                self._faults.error(f"tell {room_id}", "room %s: notice failed", room_id)

    def _tell_room(self, room_id: str) -> None:
        room = self._rooms.get(room_id)
        told = self._told.setdefault(room_id, {})
        attached = self._attached.get(room_id, {})
        since = self._unsaved.get(room_id)
        if room is None or since is None:
            frame = encode(StorageStatus(room_id=room_id, saved=True))
            for user_id, client in told.items():
                if attached.get(user_id) is client:
                    client.deliver(frame)
            del self._told[room_id]
            return
        fresh = [
            (user_id, client)
            for user_id, client in attached.items()
            if told.get(user_id) is not client
            and (member := room.members.get(user_id)) is not None
            and member.role in MODERATORS
        ]
        if not fresh:
            return
        frame = encode(
            StorageStatus(room_id=room_id, saved=False, since=since, detail=self.storage.problem)
        )
        for user_id, client in fresh:
            client.deliver(frame)
            told[user_id] = client

    def _forget_ended(self) -> None:
        for room_id, room in list(self._rooms.items()):
            if room.status == "ended" and room_id not in self._unsaved:
                running = self._saving.get(room_id)
                if running is not None and not running.done():
                    continue  # its end is being saved right now
                del self._rooms[room_id]
                del self._attached[room_id]
                self._saved.pop(room_id, None)
                self._save_locks.pop(room_id, None)
                self._recording_locks.pop(room_id, None)
                self._pulses.pop(room_id, None)
                self._retry.pop(room_id, None)


class StorageHealth:
    """Whether the store is taking writes, as the hub last found out."""

    def __init__(self) -> None:
        self.problem: str | None = None
        self.since: float | None = None

    def failed(self, reason: str, now: float) -> None:
        if self.problem is None:
            self.since = now
        self.problem = reason

    def recovered(self) -> None:
        self.problem = None
        self.since = None


def new_room_id() -> str:
    """A random, URL-safe room id that never starts with '-' (a command line
    would read it as an option)."""
    while True:
        room_id = secrets.token_urlsafe(6)
        if not room_id.startswith("-"):
            return room_id
