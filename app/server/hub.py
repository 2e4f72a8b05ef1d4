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

In a cluster (docs/cluster.md) the hub runs the rooms whose lease this node
holds (their origin) and serves members connected here of rooms held
elsewhere: their requests are forwarded to the origin, whose answer is handed
back, and the room's events, published once by the origin, are delivered
here to them. A member connected through another node is an `AwayMember` at
the origin: events reach them through their node, and a kick is a notice
addressed to it. Without a cluster (`SoloCluster`) none of this runs.
"""

import asyncio
import logging
import random
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol, TypeVar, overload

import msgspec

from app.protocol import decode_body, encode
from app.protocol.errors import ErrorCode
from app.protocol.events import MemberLeft, Reacted, RoomEnded
from app.protocol.links import build_link
from app.protocol.model import BannedUser, Role, RoomSnapshot, RoomSummary
from app.protocol.replies import (
    MAX_BANS_LISTED,
    AnyReplyData,
    AudiencePage,
    BanList,
    Event,
    InviteCreated,
    Kicked,
    KickReason,
    MediaAnswer,
    OfferAgain,
    RoomState,
    Speaking,
    StorageStatus,
)
from app.protocol.requests import (
    CreateRoom,
    EndRoom,
    ListAudience,
    ListBans,
    PushToTalk,
    SetRecording,
    SetSpeakerVolumes,
    Sync,
)
from app.server.admission import Busy, JoinGate
from app.server.cluster import (
    Cluster,
    Lease,
    LeaseState,
    MemberEntry,
    RemoteError,
    SoloCluster,
    Unavailable,
)
from app.server.fanout import Fanout
from app.server.floor_timer import FloorTimer
from app.server.forwarding import (
    Forwarded,
    MemberState,
    Op,
    answer,
    decode_member,
    decode_request,
    encode_member,
    encode_request,
    refusal,
    unpack,
)
from app.server.joins_in_flight import JoinsInFlight
from app.server.logs import RateLimitedLog
from app.server.pulse import BUDGET, INTERVAL, RoomPulse
from app.server.recording_shell import Recordings
from app.server.relay_links import ASK_TIMEOUT as RELAY_ASK_TIMEOUT
from app.server.relay_links import RelayEdge, RelayOrigin, decode_ask, refused
from app.server.relayed_members import RelayedMembers
from app.server.rooms import (
    Actor,
    Member,
    Outcome,
    Room,
    RoomError,
    audience_count,
    audience_page,
    check,
    create_room,
    floor,
    handle,
    recording_lost,
    restore,
    snapshot,
    summary,
    tick,
    to_durable,
)
from app.server.rooms.commands import AddInvite, Disconnect, Join, RoomCommand
from app.server.rooms.core import subject_of
from app.server.rooms.durable import DurableRoom
from app.server.rooms.lifecycle import place
from app.server.rooms.permissions import (
    is_moderator,
    may_be_heard,
    may_see_listing,
    may_see_room,
    replay_viewers,
)
from app.server.store.api import StaleSave, Store, StoreError
from app.server.told_actions import ToldActions
from app.server.voice_rooms import VoiceRooms

log = logging.getLogger(__name__)
T = TypeVar("T")
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


class AwayMember:
    """At a room's origin: a member connected through another node. Frames
    reach them through that node (events, notices), never one by one."""

    def __init__(self, user_id: int, room_id: str | None, node: str) -> None:
        self.user_id = user_id
        self.room_id = room_id
        self.node = node

    def deliver(self, frame: bytes) -> None:
        return None  # the room's events go to their node through the cluster


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
        cluster: Cluster | None = None,
        pulse_budget: int = BUDGET,
        fanout: Fanout | None = None,
        timed_pulses: bool = True,
    ) -> None:
        self._store = store
        # A room's events and summaries: the stage at once, a big audience in steps.
        self.fanout = fanout or Fanout()
        self.cluster: Cluster = cluster or SoloCluster()
        # Solo: every room is ours and nothing leaves the process, so the
        # cluster's per-event work is skipped altogether.
        self._clustered = not isinstance(self.cluster, SoloCluster)
        self._leases: dict[str, Lease] = {}
        # At the origin: members connected through other nodes -> their node.
        self._away: dict[str, dict[int, str]] = {}
        # At the origin: members whose media their own node relays (or would,
        # once they are off the stage).
        self._relayed = RelayedMembers()
        # Rooms held by another node that have members connected here.
        self._elsewhere: set[str] = set()
        self._taking: set[str] = set()  # rooms this node is taking over now
        # Per room being taken over: the members it has yet to bring back.
        self._returning: dict[str, set[int]] = {}
        # Per room: members here with an audio link (`_front`).
        self._with_audio: dict[str, set[int]] = {}
        # Per room held elsewhere: the newest origin epoch seen here.
        self._epochs: dict[str, int] = {}
        # Joins through this node waiting for the origin's answer: the events
        # that arrive meanwhile, handed on once the snapshot is known.
        self._joining = JoinsInFlight()
        self._listings: list[RoomSummary] = []
        # The cluster's live nodes' URLs, for clients to reconnect elsewhere.
        self.node_urls: list[str] = []
        self._background: set[asyncio.Task[None]] = set()
        self.cluster.serve(self.answer_forwarded)
        self.voice = voice or VoiceRooms(None)
        # The edge relay (docs/cluster.md): set by start_server on a clustered
        # node with media; None, every member's media goes to the origin.
        self.relay_origin: RelayOrigin | None = None
        self.relay_edge: RelayEdge | None = None
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
        self.told = ToldActions()
        self._pulse_interval = pulse_interval
        self._pulse_budget = pulse_budget
        # False: nothing sends the summaries but flush_pulse (tests drive them).
        self._timed_pulses = timed_pulses
        self._floor_timer = FloorTimer(clock, self._tick_room)

    def use_cluster(self, cluster: Cluster) -> None:
        """Join a cluster (before any room exists here: start-up)."""
        self.cluster = cluster
        self._clustered = not isinstance(cluster, SoloCluster)
        cluster.serve(self.answer_forwarded)

    def cluster_report(self) -> dict[str, object]:
        """For /healthz: this node and whether it reaches Redis."""
        health = self.cluster.health()
        return {"node": self.cluster.node_id, "ok": health.ok, "status": health.describe()}

    # -- start-up and the ticker --------------------------------------------

    async def restore(self) -> int:
        """Bring back the stored live rooms; in a cluster, those no node holds
        (a cold start): the others are running elsewhere."""
        now = self._clock()
        for durable in await self._store.load_live_rooms():
            try:
                room = restore(durable, now, self._grace)
            except Exception:  # one unreadable room must not keep the others down
                log.exception("could not restore room %s; it stays stored as it was", durable)
                continue
            if not await self._take_lease(room.room_id, floor=durable.epoch):
                continue
            if self._clustered:  # other nodes may follow the room: never back
                room.seq = epoch_seq(self._leases[room.room_id].epoch, room.seq)
            self._rooms[room.room_id] = room
            self._attached[room.room_id] = {}
            self._saved[room.room_id] = durable
            self._list(room)
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
                    self._notify(room_id, 0, frame)
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
        for room_id in list(self._rooms):
            self._tick_room(room_id, now)
        for room_id in list(self._rooms):
            self._save_soon(room_id, now)
        self._tell_moderators()
        self._forget_ended()

    def _tick_room(self, room_id: str, now: float | None = None) -> None:
        room = self._rooms.get(room_id)
        lease = self._leases.get(room_id)
        if room is None or (lease is not None and not lease.active):
            return  # gone, or no acting on a room whose lease is in doubt
        try:
            self._publish(room, tick(room, self._clock() if now is None else now))
        except Exception:
            self._faults.error(
                f"tick {room_id}",
                "room %s: its tick failed; the other rooms go on",
                room_id,
                exc_info=True,
            )

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
            if self.relay_edge is not None:
                await asyncio.wait_for(self.relay_edge.close(), 10)
            if self.relay_origin is not None:
                self.relay_origin.close()
        except Exception:
            log.exception("closing the edge relay failed")
        try:
            self._floor_timer.close()
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
    def clock(self) -> Callable[[], float]:
        """The time the hub runs its rooms on (epoch seconds)."""
        return self._clock

    @property
    def room_count(self) -> int:
        return len(self._rooms)

    def list_rooms(self, user_id: int) -> list[RoomSummary]:
        here = [summary(room) for room in self._rooms.values() if may_see_room(room, user_id)]
        # The cluster's other rooms, as their origins last listed them (read
        # once a second by run_directory, not per request).
        return here + [
            listed
            for listed in self._listings
            if listed.room_id not in self._rooms
            and may_see_listing(
                listed.invite_only, user_id in self._attached.get(listed.room_id, {})
            )
        ]

    def live_room_hosted_by(self, user_id: int) -> str | None:
        for room in self._rooms.values():
            if room.status == "live" and room.host_id == user_id:
                return room.room_id
        return None

    def may_be_heard(self, room_id: str, user_id: int) -> bool:
        """The core's rule (live, on stage, holding push-to-talk, not muted), for
        server-side voices."""
        room = self._rooms.get(room_id)
        return room is not None and may_be_heard(room, user_id)

    def talking(self, room_id: str) -> frozenset[int]:
        """Who holds push-to-talk in a room of this node, as the core last heard."""
        room = self._rooms.get(room_id)
        return room.holding_ptt() if room is not None else frozenset()

    def listed(self, room_id: str) -> RoomSummary | None:
        """Another node's room as its origin last listed it (read once a second)."""
        return next((entry for entry in self._listings if entry.room_id == room_id), None)

    def local_room(self, room_id: str) -> Room | None:
        """The room if this node is its origin (the broadcast tier serves it from here)."""
        return self._rooms.get(room_id)

    def holds_stage_place(self, user_id: int, room_id: str | None) -> bool:
        """On the stage of that room (host, co-host, speaker): their requests go first."""
        room = self._rooms.get(room_id) if room_id is not None else None
        member = room.members.get(user_id) if room is not None else None
        return member is not None and member.on_stage

    async def snapshot_of(self, client: Attachment) -> RoomSnapshot:
        if (room_id := self._held_elsewhere(client)) is not None:
            state = await self._forward(room_id, self._ask("sync", client, b""), RoomState)
            return state.room
        return self._snapshot(self._room_of(client), client.user_id)

    def _snapshot(self, room: Room, viewer: int) -> RoomSnapshot:
        """The core's snapshot, with the epoch of this origin's lease as the
        room's media epoch: a takeover changes it, so clients offer again."""
        lease = self._leases.get(room.room_id)
        view = snapshot(room, viewer)
        self.told.told(room.room_id, viewer, view.allowed)
        return msgspec.structs.replace(view, media_epoch=lease.epoch) if lease else view

    async def audience_page(
        self, client: Attachment, actor: Actor, req: ListAudience
    ) -> AudiencePage:
        """A page of the listeners, for a moderator (the core's gate decides)."""
        if (room_id := self._held_elsewhere(client)) is not None:
            ask = self._ask("audience", client, encode(req), name=actor.name)
            return await self._forward(room_id, ask, AudiencePage)
        room = self._room_of(client)
        check(room, actor, req)
        return audience_page(room, req.after, req.prefix, req.limit)

    async def ban_list(self, client: Attachment, actor: Actor, req: ListBans) -> BanList:
        """The room's banned users with their names, for a moderator (the core's gate decides)."""
        if (room_id := self._held_elsewhere(client)) is not None:
            ask = self._ask("bans", client, encode(req), name=actor.name)
            return await self._forward(room_id, ask, BanList)
        room = self._room_of(client)
        check(room, actor, req)
        banned = sorted(room.bans)
        names = await self._store.names_of(banned)
        listed = sorted(
            (BannedUser(user_id=uid, name=names.get(uid, f"#{uid}")) for uid in banned),
            key=lambda b: (b.name.casefold(), b.user_id),
        )
        return BanList(bans=listed[:MAX_BANS_LISTED], total=len(listed))

    # -- commands -------------------------------------------------------------

    async def create(
        self,
        client: Attachment | None,
        actor: Actor,
        req: CreateRoom,
        placed: Sequence[tuple[Actor, Role]] = (),
    ) -> RoomSnapshot:
        """Create a room hosted by `actor`; `client` None is a server-side host (the demo).
        `placed`: a scheduled room's invited co-hosts and speakers, in place on its stage."""
        if client is not None:
            self._require_no_room(client)
        room_id = new_room_id()
        if not await self._take_lease(room_id):
            raise RoomError(ErrorCode.UNAVAILABLE, "could not create the room now; try again")
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
        for person, role in placed:
            place(room, person, role, room.created_at)
        self._rooms[room_id] = room
        self._attached[room_id] = {}
        if client is not None:
            self._attach(client, room_id)
        self._list(room)
        await self._save(room_id)
        return self._snapshot(room, actor.user_id)

    async def join(
        self, client: Attachment | None, actor: Actor, room_id: str, invite_code: str | None
    ) -> RoomSnapshot:
        """Join, or rejoin after a reconnect; `client` None is a server-side member (the demo)."""
        if client is not None and client.room_id not in (None, room_id):
            raise RoomError(ErrorCode.ALREADY_IN_ROOM, "leave your current room first")
        if room_id not in self._rooms and self._clustered and client is not None:
            return await self._join_elsewhere(client, actor, room_id, invite_code)
        room = self._rooms.get(room_id)
        if room is None:
            raise RoomError(ErrorCode.ROOM_NOT_FOUND, "no live room has that id")
        self._acting(room_id)
        place = room.members.get(actor.user_id)
        # A member joining through another node was admitted by that node's gate.
        if (
            client is not None
            and not isinstance(client, AwayMember)
            and (place is None or not place.on_stage)
        ):
            # The stage comes back at once; the audience waits its turn (or
            # is told when to come back: Busy).
            wait = self.gate.reserve(asyncio.get_running_loop().time(), actor.user_id)
            if wait > 0:
                await asyncio.sleep(wait)
            room = self._rooms.get(room_id)
            if room is None:
                raise RoomError(ErrorCode.ROOM_NOT_FOUND, "no live room has that id")
            self._acting(room_id)
        # Published before attaching: the joiner learns of its own join from
        # the snapshot in the reply, not from an extra frame.
        self._returning.get(room_id, set()).discard(actor.user_id)  # back by this join
        outcome = handle(room, actor, Join(invite_code), self._clock())
        self._publish(room, outcome)
        if client is not None:
            self._attach(client, room_id)
        self._save_after(room, outcome)
        return self._snapshot(room, actor.user_id)

    async def command(self, client: Attachment, actor: Actor, command: RoomCommand) -> None:
        if (room_id := self._held_elsewhere(client)) is not None:
            if not isinstance(command, msgspec.Struct) or isinstance(command, Join):
                raise RoomError(ErrorCode.INVALID, "not a member's request")
            await self._forward(room_id, self._ask("command", client, encode(command), actor.name))
            return
        room = self._room_of(client)
        self._acting(room.room_id)
        outcome = handle(room, actor, command, self._clock())
        self._publish(room, outcome)
        self._save_after(room, outcome)
        self._forget_ended()

    async def end_room(self, client: Attachment, actor: Actor, command: EndRoom) -> int | None:
        """End the room; the id of the recording that ran until now (its file
        and row final by the return, so its replay can be decided), if any.
        A room held by another node ends there; its recording stays private."""
        if self._held_elsewhere(client) is not None:
            await self.command(client, actor, command)
            return None
        room_id = self._room_of(client).room_id
        recording_id = self.recordings.active_id(room_id)
        await self.command(client, actor, command)
        if recording_id is not None:
            await self.recordings.stop(room_id)
        return recording_id

    async def create_invite(self, client: Attachment, actor: Actor) -> tuple[str, str]:
        if (room_id := self._held_elsewhere(client)) is not None:
            ask = self._ask("invite", client, b"", actor.name)
            created = await self._forward(room_id, ask, InviteCreated)
            return created.code, created.link
        room = self._room_of(client)
        self._acting(room.room_id)
        code = secrets.token_urlsafe(12)
        self._publish(room, handle(room, actor, AddInvite(code), self._clock()))
        await self._save(room.room_id)
        return code, build_link(self.server_address, room.room_id, code)

    async def set_recording(self, client: Attachment, actor: Actor, on: bool) -> None:
        """Start or stop recording: the core's gate first, then the file, then the event."""
        if (room_id := self._held_elsewhere(client)) is not None:
            await self._forward(room_id, self._ask("recording", client, b"", actor.name, flag=on))
            return
        room = self._room_of(client)
        self._acting(room.room_id)
        command = SetRecording(on=on)
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

    async def media_offer(self, client: Attachment, sdp: str) -> MediaAnswer:
        """The room's media plane is its origin's: an offer through another
        node is answered there, and the audio flows to the origin directly;
        a listener's, with an edge relay here, is answered here (`relayed`)."""
        answer = await self._media_offer(client, sdp)
        if client.room_id is not None and not isinstance(client, AwayMember):
            # Their audio hangs on the room's events (a takeover's new epoch
            # means offering again): this node sends them each event first.
            self._with_audio.setdefault(client.room_id, set()).add(client.user_id)
        return answer

    async def _media_offer(self, client: Attachment, sdp: str) -> MediaAnswer:
        if (room_id := self._held_elsewhere(client)) is not None:
            edge = self.relay_edge
            capacity = self.voice.capacity
            # Full here: the origin decides as before (its own link, or the broadcast).
            relays = edge is not None and (capacity is None or self.voice.live_links() < capacity)
            ask = self._ask("media", client, b"", sdp=sdp, flag=relays)
            answer = await self._forward(room_id, ask, MediaAnswer)
            if edge is None:
                return MediaAnswer(sdp=answer.sdp)
            if answer.sdp:  # on stage: the origin's own link
                edge.drop(room_id, client.user_id)
                return MediaAnswer(sdp=answer.sdp)
            try:
                relayed = await edge.offer(room_id, client.user_id, sdp, client.deliver)
                return MediaAnswer(sdp=relayed, relayed=True)
            except Exception as exc:  # aiortc's assorted errors, or the relay's
                log.info("room %s: relaying to %d failed: %s", room_id, client.user_id, exc)
                raise RoomError(ErrorCode.MEDIA_FAILED, f"cannot relay the room: {exc}") from None
        room = self._room_of(client)
        return MediaAnswer(sdp=await self.voice.offer(room, client.user_id, sdp))

    async def push_to_talk(self, client: Attachment, pressed: bool) -> None:
        if (room_id := self._held_elsewhere(client)) is not None:
            await self._forward(room_id, self._ask("ptt", client, b"", flag=pressed))
            return
        room = self._room_of(client)
        me = room.members.get(client.user_id)
        actor = Actor(client.user_id, me.name if me is not None else "")
        # The core's gate and state; an event only under floor control (else
        # who is heard shows in the levels).
        outcome = handle(room, actor, PushToTalk(pressed=pressed), self._clock())
        self.voice.sync(room)
        if outcome:
            self._publish(room, outcome)

    async def set_speaker_volumes(self, client: Attachment, request: SetSpeakerVolumes) -> None:
        """Per-speaker volume, applied where the room's media plane is (its origin)."""
        if (room_id := self._held_elsewhere(client)) is not None:
            await self._forward(room_id, self._ask("volumes", client, encode(request)))
            return
        self.voice.set_volumes(self._room_of(client), client.user_id, dict(request.volumes))

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
        self._with_audio.get(room_id, set()).discard(client.user_id)
        if room_id not in self._rooms:
            if self.relay_edge is not None:
                self.relay_edge.drop(room_id, client.user_id)
            if room_id in self._elsewhere:
                await self._detach_elsewhere(room_id, client)
            return
        self.voice.drop(room_id, client.user_id)
        await self._disconnected(self._rooms[room_id], client.user_id)

    async def _disconnected(self, room: Room, user_id: int) -> None:
        # Gone before a running takeover brought them back: they stay away.
        self._returning.get(room.room_id, set()).discard(user_id)
        if room.status == "live" and user_id in room.members:
            actor = Actor(user_id, room.members[user_id].name)
            outcome = handle(room, actor, Disconnect(), self._clock())
            self._publish(room, outcome)
            self._mirror(room, [user_id])
            self._save_after(room, outcome)

    # -- internals -------------------------------------------------------------

    # -- the cluster: rooms held here ------------------------------------------

    async def _take_lease(self, room_id: str, floor: int = 0, announce: bool = True) -> bool:
        """Become the room's origin; False if another node holds it or Redis is away.
        `announce` False: the caller names itself the origin later (`_announce`)."""
        try:
            lease = await self.cluster.acquire(room_id, floor=floor, on_state=self._lease_changed)
        except Unavailable as exc:
            log.warning("room %s: cannot take its lease now: %s", room_id, exc)
            return False
        if lease is None:
            return False
        self._leases[room_id] = lease
        if announce:
            self._announce(lease)
        return True

    def _announce(self, lease: Lease) -> None:
        if self._clustered:
            # The room's own volatile part: who its origin is, so that the next
            # one knows whose members were cut off with it.
            _settle(lease.mirror(state=self.cluster.node_id.encode()))

    def _acting(self, room_id: str) -> None:
        """Refuse to act on a room whose lease is in doubt (Redis away past its
        time, or this process was paused): another node may hold it by now."""
        lease = self._leases.get(room_id)
        if lease is not None and not lease.active:
            raise RoomError(
                ErrorCode.UNAVAILABLE,
                "this room cannot take changes right now (its server lost touch with "
                "the cluster); try again in a moment",
            )

    def _list(self, room: Room) -> None:
        lease = self._leases.get(room.room_id) if self._clustered else None
        if lease is not None and room.live:
            _settle(lease.list(msgspec.msgpack.encode(summary(room))))

    def _mirror(self, room: Room, user_ids: list[int]) -> None:
        """Mirror these members' places into Redis, for a takeover."""
        lease = self._leases.get(room.room_id) if self._clustered else None
        if lease is None or not user_ids:
            return
        attached = self._attached.get(room.room_id, {})
        away = self._away.get(room.room_id, {})
        upserts: dict[int, MemberEntry] = {}
        removals: list[int] = []
        for uid in dict.fromkeys(user_ids):
            member = room.members.get(uid)
            if member is None:
                removals.append(uid)
                continue
            node = None
            if member.connected:
                node = self.cluster.node_id if uid in attached else away.get(uid)
            state = MemberState(
                name=member.name,
                role=member.role.value,
                joined_at=member.joined_at,
                role_since=member.role_since,
                hand_raised_at=member.hand_raised_at,
                invited=member.invited,
                mod_muted=member.mod_muted,
                self_muted=member.self_muted,
            )
            upserts[uid] = MemberEntry(node, encode_member(state))
        _settle(lease.mirror(upserts, removals))

    def _notify(
        self, room_id: str, target: int, frame: bytes, kick: bool = False, node: str = ""
    ) -> None:
        """A frame for the room's members on other nodes (all, or one)."""
        lease = self._leases.get(room_id) if self._clustered else None
        if lease is not None and (self._away.get(room_id) or kick):
            _settle(lease.notify(target, frame, kick, node))

    def _lease_changed(self, lease: Lease, state: LeaseState) -> None:
        if state is LeaseState.LOST and self._leases.get(lease.room_id) is lease:
            # Another node holds the room now: stop acting on it at once; our
            # members here follow it there like any node's.
            self._drop_room(lease.room_id)

    def _drop_room(self, room_id: str) -> None:
        self._relayed.forget(room_id)
        if self.relay_origin is not None:
            self.relay_origin.forget(room_id)
        self._leases.pop(room_id, None)
        room = self._rooms.pop(room_id, None)
        self._away.pop(room_id, None)
        self._saved.pop(room_id, None)
        self._pulses.pop(room_id, None)
        self.told.forget(room_id)
        self._retry.pop(room_id, None)
        self._unsaved.pop(room_id, None)
        self._spawn(self.voice.close_room(room_id), f"closing room {room_id}'s media")
        if room is None:
            return
        log.warning("room %s is no longer held here; following its new origin", room_id)
        attached = self._attached.get(room_id)
        if attached:
            self._elsewhere.add(room_id)
            names = {uid: m.name for uid, m in room.members.items() if uid in attached}
            self._spawn(self._follow(room_id, names), f"following room {room_id}")
        else:
            self._attached.pop(room_id, None)

    async def _follow(self, room_id: str, names: dict[int, str]) -> None:
        """Our members of a room another node took: listen to it, and tell the
        new origin they are connected here (it counted them gone with us)."""
        await self.cluster.subscribe(room_id, self)
        for user_id, name in names.items():
            client = self._attached.get(room_id, {}).get(user_id)
            if client is None:
                continue
            try:
                await self._forward(room_id, self._ask("join", client, b"", name))
            except (RoomError, Busy) as exc:
                log.info("room %s: %d could not follow it: %s", room_id, user_id, exc)

    async def answer_forwarded(self, room_id: str, sender: str, body: bytes) -> bytes:
        """A request forwarded by another node for one of its members."""
        if room_id not in self._rooms:
            # We hold the lease but not the room yet (a takeover between its
            # acquire and its restore): forwarding it on would come straight
            # back here, without end. The sender asks again in a moment.
            return refusal(
                RoomError(ErrorCode.UNAVAILABLE, "the room is being taken over; try again")
            )
        try:
            ask = decode_request(body)
            if ask.op == "relay":  # node to node, in the relay's own encoding
                if self.relay_origin is None:
                    return refused("the room's origin has no media plane")
                relay = decode_ask(ask.request)
                self._relayed_by(room_id, ask.node, relay.listeners)
                return await self.relay_origin.grant(room_id, relay)
            return answer(await self._run_forwarded(room_id, ask))
        except (RoomError, Busy) as exc:
            return refusal(exc)
        except msgspec.DecodeError as exc:
            return refusal(RoomError(ErrorCode.INVALID, f"unreadable forwarded request: {exc}"))

    async def _run_forwarded(self, room_id: str, ask: Forwarded) -> AnyReplyData | None:
        actor = Actor(ask.user_id, ask.name)
        member = AwayMember(ask.user_id, room_id, ask.node)
        room = self._rooms.get(room_id)
        if room is not None and ask.op not in ("join", "detach"):
            self._bring_back(room, ask.user_id)  # before `_relayable` reads their state
        match ask.op:
            case "join":
                member.room_id = None
                return RoomState(room=await self.join(member, actor, room_id, ask.invite_code))
            case "command":
                request = decode_body(ask.request)
                if isinstance(request, ListAudience | ListBans | Sync):
                    raise RoomError(ErrorCode.INVALID, "not a room command")
                await self.command(member, actor, request)  # type: ignore[arg-type]
                return None
            case "sync":
                return RoomState(room=await self.snapshot_of(member))
            case "audience":
                request = decode_body(ask.request)
                if not isinstance(request, ListAudience):
                    raise RoomError(ErrorCode.INVALID, "not an audience request")
                return await self.audience_page(member, actor, request)
            case "bans":
                request = decode_body(ask.request)
                if not isinstance(request, ListBans):
                    raise RoomError(ErrorCode.INVALID, "not a ban list request")
                return await self.ban_list(member, actor, request)
            case "invite":
                code, link = await self.create_invite(member, actor)
                return InviteCreated(code=code, link=link)
            case "recording":
                await self.set_recording(member, actor, ask.flag)
                return None
            case "media":
                if ask.flag and self._relayable(room_id, ask.user_id):
                    # A listener: their node relays the room's mix to them.
                    self.voice.drop(room_id, ask.user_id)
                    self._relayed.relayed(room_id, ask.user_id)
                    return MediaAnswer(sdp="")
                sdp = (await self.media_offer(member, ask.sdp)).sdp
                # On stage: our own link, back to their node's relay once off it.
                room = self._rooms.get(room_id)
                seat = room.members.get(ask.user_id) if room is not None else None
                back = ask.flag and self.relay_origin is not None and bool(seat and seat.on_stage)
                self._relayed.direct(room_id, ask.user_id, node_relays=back)
                return MediaAnswer(sdp=sdp)
            case "ptt":
                await self.push_to_talk(member, ask.flag)
                return None
            case "relay":  # answered in answer_forwarded, never here
                raise RoomError(ErrorCode.INVALID, "not a member's request")
            case "volumes":
                request = decode_body(ask.request)
                if not isinstance(request, SetSpeakerVolumes):
                    raise RoomError(ErrorCode.INVALID, "not a volume request")
                await self.set_speaker_volumes(member, request)
                return None
            case "detach":
                room = self._rooms.get(room_id)
                away = self._away.get(room_id, {})
                if room is not None and away.get(ask.user_id) == ask.node:
                    del away[ask.user_id]
                    self.voice.drop(room_id, ask.user_id)
                    await self._disconnected(room, ask.user_id)
                return None

    async def forward_relay(self, room_id: str, body: bytes) -> bytes:
        """The edge relay's subscription, to the room's origin (node to node)."""
        ask = Forwarded("relay", 0, "", self.cluster.node_id, body)
        return await self.cluster.forward(room_id, encode_request(ask), timeout=RELAY_ASK_TIMEOUT)

    def _move_links(self, room: Room, outcome: Outcome) -> None:
        """Relayed listeners the events put on stage: their media comes here
        now; former ones back in the audience: to their own node's relay again
        (only the events' subjects are looked at, not every relayed listener)."""
        subjects = {uid for _, e in outcome.events if (uid := subject_of(e)) is not None}
        away = self._away.get(room.room_id, {})
        for uid in self._relayed.moves(room, subjects, away):
            self._notify(room.room_id, uid, encode(OfferAgain(room_id=room.room_id)))

    def _relayed_by(self, room_id: str, node: str, listeners: Iterable[int]) -> None:
        """An edge following the room here names the listeners it carries
        (links kept through a takeover, never offered here): noted as
        relayed, so that one going on stage is told to move. Only members
        off the stage whom the room knows on that node."""
        room = self._rooms.get(room_id)
        away = self._away.get(room_id, {})
        for uid in listeners:
            member = room.members.get(uid) if room is not None else None
            if member is not None and not member.on_stage and away.get(uid) == node:
                self._relayed.relayed(room_id, uid)

    def _relayable(self, room_id: str, user_id: int) -> bool:
        """A connected member off the stage of a live room, with media here."""
        room = self._rooms.get(room_id)
        member = room.members.get(user_id) if room is not None else None
        return (
            self.relay_origin is not None
            and room is not None
            and room.live
            and member is not None
            and member.connected
            and not member.on_stage
        )

    # -- the cluster: taking a room over --------------------------------------

    async def run_takeover(self, interval: float) -> None:
        """Watch for rooms whose origin died (listed, but nobody holds the lease)
        and take them over: nodes with members there first, the rest a round
        later. Jittered, so that nodes do not all try at the same moment."""
        if not self._clustered:
            return
        rng = random.Random()
        rounds: dict[str, int] = {}
        while True:
            await asyncio.sleep(interval * rng.uniform(0.25, 0.75))
            try:
                orphans = [r for r in await self.cluster.orphans() if r not in self._rooms]
            except Unavailable:
                continue  # degraded: nothing can be taken over now anyway
            except Exception:
                self._faults.error("orphans", "looking for orphaned rooms failed", exc_info=True)
                continue
            rounds = {room_id: rounds.get(room_id, 0) + 1 for room_id in orphans}
            for room_id in orphans:
                if room_id in self._elsewhere or rounds[room_id] > 1:
                    try:
                        await self.take_over(room_id)
                    except Exception:
                        self._faults.error(
                            f"takeover {room_id}",
                            "taking room %s over failed",
                            room_id,
                            exc_info=True,
                        )

    async def run_lease_watch(self, look: float = 0.25) -> None:
        """Take a room held elsewhere over the moment its origin's lease runs
        out, rather than at the next orphan scan: for each room with members
        here, read how long the lease has left and look again just after that
        (a renewed lease only means another look a lease later: about one
        PTTL per room and lease, whatever the audience). The lease running
        out stays the only death detector. `look`: how soon a room newly held
        elsewhere is first looked at."""
        if not self._clustered:
            return
        loop = asyncio.get_running_loop()
        due: dict[str, float] = {}
        while True:
            now = loop.time()
            due = {r: due.get(r, now) for r in self._elsewhere}
            for room_id in [r for r, at in due.items() if at <= now]:
                try:
                    left = await self.cluster.lease_left(room_id)
                except Unavailable:
                    left = look  # degraded: nothing can be taken over now anyway
                except Exception:
                    self._faults.error("lease watch", "reading a lease failed", exc_info=True)
                    left = look
                if left is None and room_id in self._elsewhere:
                    try:
                        await self.take_over(room_id)
                    except Exception:
                        self._faults.error(
                            f"takeover {room_id}", "taking room %s over failed", room_id,
                            exc_info=True,
                        )  # fmt: skip
                    left = look
                # Just past the expiry: Redis counts the key gone only after it.
                due[room_id] = loop.time() + min(left if left is not None else look, 60.0) + 0.005
            wake = min(due.values(), default=now + look)
            await asyncio.sleep(max(0.0, min(wake - loop.time(), look)))

    async def take_over(self, room_id: str) -> bool:
        """Become the origin of a room whose origin is gone: the durable room
        from the store, the volatile part from the last origin's mirror, and on
        from its last seq. False if another node was quicker, or this node is
        already at it (the lease watch and the orphan scan may both ask)."""
        if room_id in self._taking:
            return False
        self._taking.add(room_id)
        try:
            return await self._take_over(room_id)
        finally:
            self._taking.discard(room_id)

    async def _take_over(self, room_id: str) -> bool:
        started = time.monotonic()
        stored = {d.room_id: d for d in await self._store.load_live_rooms()}.get(room_id)
        floor = stored.epoch if stored is not None else 0
        # Named the origin only once the last one's name is read (below): written
        # at once, it could land first, and the dead node's members would count
        # as connected elsewhere instead of cut off.
        if room_id in self._rooms or not await self._take_lease(room_id, floor, announce=False):
            return False
        lease = self._leases[room_id]
        # Read again now that we hold it: the old origin cannot save any more.
        durable = {d.room_id: d for d in await self._store.load_live_rooms()}.get(room_id)
        if durable is None:
            log.warning("room %s is not live in the store; ending its listing", room_id)
            self._leases.pop(room_id, None)
            await lease.close()
            return False
        try:
            volatile = await self.cluster.restore(room_id)
            alive = {node.node_id for node in await self.cluster.nodes()}
        except Unavailable:
            volatile, alive = None, set()
        self._announce(lease)
        now = self._clock()
        room = restore(durable, now, self._grace)
        read = time.monotonic() - started  # the store and Redis, before the first event
        where: dict[int, str] = {}
        if volatile is not None:
            _restore_volatile(room, volatile.members, now)
            # The old origin's own members went down with it, even if its
            # heartbeat has not run out yet.
            dead = volatile.state.decode() if volatile.state else None
            alive.discard(dead or "")
            where = {uid: e.node for uid, e in volatile.members.items() if e.node is not None}
        # At least one seq skipped: every member's next event shows a gap, so
        # every client asks for a fresh snapshot.
        room.seq = epoch_seq(lease.epoch, volatile.seq if volatile is not None else 0)
        self._rooms[room_id] = room
        local = self._attached.setdefault(room_id, {})
        if room_id in self._elsewhere:
            self._elsewhere.discard(room_id)
            self._spawn(self.cluster.unsubscribe(room_id), f"leaving room {room_id}'s feed")
        if self.relay_edge is not None:
            # Its relayed listeners here kept their links through the move
            # (`MediaAnswer.relayed`); those links end now: offer again, here.
            again = encode(OfferAgain(room_id=room_id))
            for deliver in self.relay_edge.forget(room_id):
                deliver(again)
        away = self._away[room_id] = {
            uid: node
            for uid, node in where.items()
            if node != self.cluster.node_id and node in alive and uid not in local
        }
        # Who is still connected (here, or on a live node) is back at once;
        # the dead node's members are in their grace period until they reconnect.
        # Those shown to everyone first: their return is the first numbered
        # event, the gap that makes every client resync (and offer its audio
        # again), so it goes out before thousands of quiet listeners' returns.
        returning = [*local, *away]
        shown = [uid for uid in returning if uid in room.shown]
        returning = shown + [uid for uid in returning if uid not in room.shown]
        # Whoever asks something meanwhile is brought back at once (`_bring_back`).
        pending = self._returning[room_id] = set(returning)
        try:
            for n, uid in enumerate(returning, 1):
                if uid in pending:
                    pending.discard(uid)
                    self._return(room, uid, now)
                if n % TAKEOVER_BATCH == 0:
                    await self._takeover_turn()
                    if self._rooms.get(room_id) is not room:
                        return False  # lost meanwhile (a newer origin)
        finally:
            self._returning.pop(room_id, None)
        self._mirror(room, list(room.members))
        self._list(room)
        self.voice.sync(room)
        self._save_soon(room_id)
        log.warning(
            "took room %s over at epoch %d (seq %d; %d members here, %d elsewhere) "
            "in %.3f s, %.3f s of it reading the store and Redis",
            room_id,
            lease.epoch,
            room.seq,
            len(local),
            len(away),
            time.monotonic() - started,
            read,
        )
        return True

    async def _takeover_turn(self) -> None:
        # Thousands of returns in one go kept the loop from renewing the
        # lease just taken: it ran out before the takeover ended.
        await asyncio.sleep(0)

    def front_of(self, room_id: str) -> list[int]:
        """Who here gets the room's frames first (see `_front`)."""
        attached = self._attached.get(room_id, {})
        return [uid for uid, _ in self._front(room_id, self._rooms.get(room_id), attached)]

    def _front(
        self, room_id: str, room: Room | None, attached: Mapping[int, Attachment]
    ) -> list[tuple[int, Attachment]]:
        """Who gets a room's frames before the audience here: the stage (known
        at the origin), then whoever has an audio link through this node (on
        every node: after a takeover their first event of the new origin is
        what makes them offer again, and at 20,000 listeners the last of a
        node's 6,670 had it 0.4 s after the first)."""
        front = _stage_of(room, attached) if room is not None else []
        seen = {uid for uid, _ in front}
        for uid in self._with_audio.get(room_id, ()):
            if uid not in seen and (client := attached.get(uid)) is not None:
                front.append((uid, client))
        return front

    def _return(self, room: Room, user_id: int, now: float) -> None:
        """A member still connected at a takeover is back in the room."""
        member = room.members.get(user_id)
        if member is not None:
            # Mirrored all at once at the takeover's end, in chunks: one script
            # per return queued thousands of writes ahead of the first reply.
            outcome = handle(room, Actor(user_id, member.name), Join(None), now)
            self._publish(room, outcome, mirror=False)

    def _bring_back(self, room: Room, user_id: int) -> None:
        """A member the running takeover has not brought back yet asks something:
        back now, so that they are answered as connected (a listener's audio
        relayed, not dropped as a stranger's) rather than after thousands of
        quiet listeners."""
        pending = self._returning.get(room.room_id)
        if pending is not None and user_id in pending:
            pending.discard(user_id)
            self._return(room, user_id, self._clock())

    # -- the cluster: members here of rooms held elsewhere ---------------------

    def _held_elsewhere(self, client: Attachment) -> str | None:
        room_id = client.room_id
        return room_id if room_id is not None and room_id in self._elsewhere else None

    def _ask(
        self,
        op: Op,
        client: Attachment,
        request: bytes,
        name: str = "",
        *,
        flag: bool = False,
        sdp: str = "",
        invite_code: str | None = None,
    ) -> Forwarded:
        return Forwarded(
            op, client.user_id, name, self.cluster.node_id, request, invite_code, flag, sdp
        )

    @overload
    async def _forward(self, room_id: str, ask: Forwarded) -> AnyReplyData | None: ...

    @overload
    async def _forward(self, room_id: str, ask: Forwarded, kind: type[T]) -> T: ...

    async def _forward(
        self, room_id: str, ask: Forwarded, kind: type[T] | None = None
    ) -> T | AnyReplyData | None:
        try:
            reply = await self.cluster.forward(room_id, encode_request(ask))
        except Unavailable as exc:
            raise RoomError(ErrorCode.UNAVAILABLE, f"{exc}; try again in a moment") from None
        except RemoteError as exc:
            log.error("room %s: its origin failed on a forwarded %s: %s", room_id, ask.op, exc)
            raise RoomError(ErrorCode.INTERNAL, "internal server error") from None
        data = unpack(reply)
        if kind is not None and not isinstance(data, kind):
            raise RoomError(ErrorCode.INTERNAL, f"the room's origin answered {data!r}")
        return data

    async def _join_elsewhere(
        self, client: Attachment, actor: Actor, room_id: str, invite_code: str | None
    ) -> RoomSnapshot:
        try:
            holder = await self.cluster.holder(room_id)
        except Unavailable as exc:
            raise RoomError(ErrorCode.UNAVAILABLE, f"{exc}; try again in a moment") from None
        if holder is None and room_id not in {listed.room_id for listed in self._listings}:
            raise RoomError(ErrorCode.ROOM_NOT_FOUND, "no live room has that id")
        wait = self.gate.reserve(asyncio.get_running_loop().time(), actor.user_id)
        if wait > 0:
            await asyncio.sleep(wait)
        self._attached.setdefault(room_id, {})
        self._elsewhere.add(room_id)
        # Listening before asking: the events the join causes come after it.
        await self.cluster.subscribe(room_id, self)
        arrived = self._joining.start(room_id)
        try:
            ask = self._ask("join", client, b"", actor.name, invite_code=invite_code)
            state = await self._forward(room_id, ask, RoomState)
        except BaseException:
            self._joining.stop(room_id, arrived)
            self._leave_if_empty(room_id)
            raise
        self._joining.stop(room_id, arrived)
        if room_id in self._rooms:
            # This node took the room over meanwhile: the join is a local one now.
            return await self.join(client, actor, room_id, invite_code)
        attached = self._attached.setdefault(room_id, {})
        previous = attached.get(client.user_id)
        if previous is not None and previous is not client:
            previous.room_id = None
            previous.deliver(encode(Kicked(room_id=room_id, reason="replaced")))
        attached[client.user_id] = client
        client.room_id = room_id
        self._elsewhere.add(room_id)
        self._seen_epoch(room_id, state.room.media_epoch)
        for seq, frame in arrived:
            if seq > state.room.seq:  # newer than the snapshot: the client needs it
                client.deliver(frame)
        return state.room

    async def _detach_elsewhere(self, room_id: str, client: Attachment) -> None:
        try:
            await self._forward(room_id, self._ask("detach", client, b""))
        except RoomError as exc:
            # The origin counts the member away once its grace period is over anyway.
            log.info(
                "room %s: could not tell its origin that %d left: %s", room_id, client.user_id, exc
            )
        finally:
            self._leave_if_empty(room_id)

    def _leave_if_empty(self, room_id: str) -> None:
        if self._attached.get(room_id) or self._joining.waiting(room_id) or room_id in self._rooms:
            return
        self._attached.pop(room_id, None)
        self._with_audio.pop(room_id, None)
        self._epochs.pop(room_id, None)
        if self.relay_edge is not None:
            self.relay_edge.forget(room_id)
        if room_id in self._elsewhere:
            self._elsewhere.discard(room_id)
            self._spawn(self.cluster.unsubscribe(room_id), f"leaving room {room_id}")

    # RoomListener: what the origin of a room held elsewhere publishes.

    def on_event(self, room_id: str, seq: int, frame: bytes) -> None:
        # As the origin sends to its own: a big audience in steps, with this
        # node's requests read between them. Written all at once, a takeover's
        # burst of events to the 6,670 members of a node held a listener's
        # audio offer there unread for 2.4 s.
        if self._seen_epoch(room_id, seq // SEQ_PER_EPOCH) and self.relay_edge is not None:
            # Its listeners here hear the new origin at once: asked before the
            # frame goes out to thousands.
            self.relay_edge.moved(room_id)
        attached = self._attached.get(room_id, {})
        self.fanout.send(
            room_id, (frame,), self._front(room_id, None, attached), list(attached.values())
        )
        self._joining.keep(room_id, seq, frame)

    def _seen_epoch(self, room_id: str, epoch: int) -> bool:
        """Note the room's epoch as seen here; True if it is a newer one than
        an earlier sighting (the room changed origin)."""
        known = self._epochs.get(room_id)
        if known is not None and epoch <= known:
            return False
        self._epochs[room_id] = epoch
        return known is not None

    def on_notice(self, room_id: str, target: int, frame: bytes, kick: bool) -> None:
        attached = self._attached.get(room_id, {})
        if target == 0:
            clients = list(attached.items())
        else:
            clients = [(target, attached[target])] if target in attached else []
        if not kick:
            # Each member's frames in order: as the room's events go to them.
            front = self._front(room_id, None, attached)
            if target == 0:
                self.fanout.send(room_id, (frame,), front, [c for _, c in clients])
            elif any(uid == target for uid, _ in front):
                attached[target].deliver(frame)
            else:
                self.fanout.send_behind(room_id, (frame,), [c for _, c in clients])
            return
        self.fanout.finish(room_id)  # what came before reaches them before they go
        for user_id, client in clients:
            client.deliver(frame)
            del attached[user_id]
            client.room_id = None
            if self.relay_edge is not None:
                self.relay_edge.drop(room_id, user_id)
        self._leave_if_empty(room_id)

    def on_resync(self, room_id: str, reason: str) -> None:
        # Clients find the gap at the next event and ask for a snapshot
        # (through us); a new origin skips one seq so that they all do.
        log.info("room %s: events may have been missed (%s)", room_id, reason)

    async def run_directory(self, interval: float = 1.0) -> None:
        """Keep the cluster's room list, read once a second for every client's list_rooms."""
        if not self._clustered:
            return
        while True:
            try:
                listings = await self.cluster.directory()
                decoded = []
                for listing in listings:
                    try:
                        decoded.append(msgspec.msgpack.decode(listing.summary, type=RoomSummary))
                    except msgspec.DecodeError:
                        continue
                self._listings = decoded
                self.node_urls = sorted(node.url for node in await self.cluster.nodes())
            except Unavailable:
                pass  # keep the last list; the node is degraded and says so
            except Exception:
                self._faults.error("directory", "reading the directory failed", exc_info=True)
            await asyncio.sleep(interval)

    def _spawn(self, work: Awaitable[object], what: str) -> None:
        async def run() -> None:
            try:
                await work
            except Exception:
                self._faults.error(what, "%s failed", what, exc_info=True)

        task = asyncio.get_running_loop().create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

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
        self._bring_back(room, client.user_id)
        return room

    def _require_no_room(self, client: Attachment) -> None:
        if client.room_id is not None:
            raise RoomError(ErrorCode.ALREADY_IN_ROOM, "leave your current room first")

    def _attach(self, client: Attachment, room_id: str) -> None:
        attached = self._attached[room_id]
        user_id = client.user_id
        previous = attached.get(user_id)
        if previous is not None and previous is not client:
            previous.room_id = None
            previous.deliver(encode(Kicked(room_id=room_id, reason="replaced")))
            if isinstance(client, AwayMember):
                del attached[user_id]
        away = self._away.get(room_id, {})
        elsewhere = away.get(user_id)
        arrives = client.node if isinstance(client, AwayMember) else None
        if elsewhere is not None and elsewhere != arrives:
            # Connected through another node before: that connection is replaced.
            kicked = encode(Kicked(room_id=room_id, reason="replaced"))
            self._notify(room_id, user_id, kicked, kick=True, node=elsewhere)
            del away[user_id]
        client.room_id = room_id
        if arrives is not None:
            self._away.setdefault(room_id, {})[user_id] = arrives
        else:
            attached[user_id] = client
        room = self._rooms.get(room_id)
        if room is not None:
            self._mirror(room, [user_id])

    def _publish(self, room: Room, outcome: Outcome, mirror: bool = True) -> None:
        attached = self._attached[room.room_id]
        lease = self._leases.get(room.room_id) if self._clustered else None
        # In a cluster every event says whose media plane serves the room, so
        # that after a takeover clients offer their audio again at once.
        epoch = lease.epoch if lease is not None else 0
        for seq, event in outcome.events:
            # Encoded once, the same bytes for every member.
            frame = encode(Event(room_id=room.room_id, seq=seq, event=event, media_epoch=epoch))
            self.fanout.send(
                room.room_id, (frame,), self._front(room.room_id, room, attached), attached.values()
            )
            if lease is not None:
                # Once for the whole cluster, in this order (the lease's queue).
                _settle(lease.publish(seq, frame))
            if isinstance(event, MemberLeft):
                self._kick(room.room_id, [event.user_id], event.reason)
            elif isinstance(event, RoomEnded):
                self.fanout.finish(room.room_id)  # the end reaches everyone before the kick
                self._kick(room.room_id, list(attached), "ended")
        for event in outcome.quiet:
            if isinstance(event, MemberLeft):
                self._kick(room.room_id, [event.user_id], event.reason)
            elif isinstance(event, Reacted):
                member = room.members.get(event.user_id)
                name = member.name if member is not None else ""
                self._pulse(room.room_id).react(event.user_id, name, event.reaction)
        if not room.recording and self.recordings.active(room.room_id):
            # Stopped by a moderator, a failure or the room's end: finish the
            # file, remembering who was in the room for its replay.
            self.recordings.stop_soon(room.room_id, replay_viewers(room), room.invite_only)
        if outcome.events:
            # Stage moves, mutes and departures change who the mix may carry.
            self.voice.sync(room)
            if self._relayed.watching(room.room_id):
                self._move_links(room, outcome)
            self._floor_timer.arm(room.room_id, floor.due(room) if room.live else None)
        if outcome and room.live:
            self._schedule_pulse(room.room_id)
        for user_id, frame in self.told.changed(room, outcome):
            # Only the member concerned, wherever their connection is.
            client = attached.get(user_id)
            if client is not None:
                client.deliver(frame)
            else:
                self._notify(room.room_id, user_id, frame)
        if lease is not None and outcome and mirror:
            subjects = (subject_of(e) for e in [*(e for _, e in outcome.events), *outcome.quiet])
            self._mirror(room, [uid for uid in subjects if uid is not None])

    def pulse_of(self, room_id: str) -> RoomPulse:
        """The room's summary pacing (its window and when the next one is due)."""
        return self._pulse(room_id)

    def _pulse(self, room_id: str) -> RoomPulse:
        pulse = self._pulses.get(room_id)
        if pulse is None:
            pulse = self._pulses[room_id] = RoomPulse(
                room_id, self._pulse_interval, self._pulse_budget
            )
        return pulse

    def _schedule_pulse(self, room_id: str) -> None:
        """Send the room's summary as soon as the once-a-second rule allows."""
        if not self._timed_pulses:
            return
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
        if frames:
            attached = self._attached.get(room_id, {})
            self.fanout.send(
                room_id, frames, self._front(room_id, room, attached), attached.values()
            )
            for frame in frames:
                self._notify(room_id, 0, frame)
            self._list(room)  # the directory's counts, at the pulse's pace
        return len(frames)

    def _kick(self, room_id: str, user_ids: list[int], reason: KickReason) -> None:
        attached = self._attached[room_id]
        away = self._away.get(room_id, {})
        frame = encode(Kicked(room_id=room_id, reason=reason))
        for user_id in user_ids:
            client = attached.pop(user_id, None)
            self.voice.drop(room_id, user_id)
            if client is not None:
                client.room_id = None
                client.deliver(frame)
            node = away.pop(user_id, None)
            if node is not None and reason != "ended":
                self._notify(room_id, user_id, frame, kick=True, node=node)
        if reason == "ended" and away:
            away.clear()
            self._notify(room_id, 0, frame, kick=True)  # every node lets its members go

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
        lease = self._leases.get(room_id) if self._clustered else None
        if lease is not None and not lease.active:
            return False  # not ours to save now; saved when the lease is back, if it is
        try:
            durable = to_durable(room)
            if self._saved.get(room_id) == durable:
                self._saved_ok(room_id)
                return False
            if lease is None:
                await self._store.save_room(durable)
            else:
                await self._store.save_room(durable, epoch=lease.epoch)
        except StaleSave as exc:
            # A newer origin saved the room: whatever we hold of it is stale.
            log.warning("room %s: %s; giving it up", room_id, exc)
            self._saved_ok(room_id)
            self._drop_room(room_id)
            return False
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
            and is_moderator(member)
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
                self.fanout.forget(room_id)
                self._with_audio.pop(room_id, None)
                self._away.pop(room_id, None)
                self._relayed.forget(room_id)
                if self.relay_origin is not None:
                    self.relay_origin.forget(room_id)
                lease = self._leases.pop(room_id, None)
                if lease is not None:
                    self._spawn(lease.close(), f"closing room {room_id}'s lease")
                self._saved.pop(room_id, None)
                self._save_locks.pop(room_id, None)
                self._recording_locks.pop(room_id, None)
                self._pulses.pop(room_id, None)
                self.told.forget(room_id)
                self._retry.pop(room_id, None)


def _stage_of(room: Room, attached: Mapping[int, Attachment]) -> list[tuple[int, Attachment]]:
    """The stage's connections here."""
    return [
        (uid, client)
        for uid, member in room.shown.items()
        if member.on_stage and (client := attached.get(uid)) is not None
    ]


# Members brought back per loop iteration by a takeover: about 10 ms of work,
# so that a media offer answered meanwhile (a dozen loop iterations through
# aiortc) is not held for half a second, as it was at 200.
TAKEOVER_BATCH = 50
# An origin delivers an event to its own members before Redis has recorded
# its seq, so the recorded seq can be behind what some members saw (writes
# that failed while the lease still had time). Each epoch therefore numbers
# from a base of its own, above anything an older epoch delivered (unless
# one origin numbered more than this many events).
SEQ_PER_EPOCH = 10**9


def epoch_seq(epoch: int, recorded: int) -> int:
    """The last seq of a room taken at `epoch`, before its first new event:
    past the recorded seq (a gap) and at least the epoch's base."""
    return max(recorded + 1, epoch * SEQ_PER_EPOCH)


def _restore_volatile(room: Room, mirrored: Mapping[int, MemberEntry], now: float) -> None:
    """Add what the last origin mirrored to a room restored from the store:
    listeners, invitations, self-mutes. The store wins for what it holds."""
    for uid, entry in mirrored.items():
        try:
            state = decode_member(entry.data)
            role = Role(state.role)
        except (msgspec.DecodeError, ValueError):
            log.warning("room %s: unreadable mirror of member %d", room.room_id, uid)
            continue
        member = room.members.get(uid)
        if member is None:
            if role is not Role.LISTENER or uid in room.bans:
                continue  # the stage comes from the store only
            member = room.members[uid] = Member(
                user_id=uid,
                name=state.name,
                role=role,
                joined_at=state.joined_at,
                role_since=state.role_since,
                hand_raised_at=state.hand_raised_at,
                connected=False,
                disconnected_at=now,
            )
        member.invited = state.invited and member.role is Role.LISTENER
        member.self_muted = state.self_muted
    room.reindex_all()


def _settle(write: Awaitable[object]) -> None:
    """An origin's write to the cluster, not waited for: its failure is the
    lease's business (fenced: LOST; unsent: rewritten when Redis is back)."""
    future = asyncio.ensure_future(write)
    future.add_done_callback(_consume)


def _consume(future: "asyncio.Future[object]") -> None:
    if not future.cancelled():
        future.exception()


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
