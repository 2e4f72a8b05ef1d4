"""Room leases: exactly one origin per room, renewed, fenced, and watched.

The lease is a Redis key set with NX and an expiry (PX), holding the token
NODE:EPOCH; the epoch goes up on every acquisition. The origin renews all
its leases in one pipeline every `renew_interval`, through a script that
extends only its own token, from a thread of its own (renewer.py), so that
an overloaded event loop does not lose its rooms. It counts its lease valid until the time it
*sent* the last successful renewal plus the lease's length, less a margin,
so it stops acting before Redis could let another node in; a watchdog
fires at that moment (SUSPENDED). Loss is reported as soon as it is seen:
a renewal that finds another token, a write that Redis fenced, or a
request or event that carries a newer epoch (LOST).
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from typing import Any

from app.server.cluster import scripts, wire
from app.server.cluster.api import (
    Fenced,
    Holder,
    LeaseState,
    MemberEntry,
    Outcome,
    StateListener,
    Unavailable,
)
from app.server.cluster.config import ClusterConfig
from app.server.cluster.keys import Keys, RoomKeys
from app.server.cluster.link import RedisDown, RedisLink
from app.server.cluster.renewer import Renewable, Renewer
from app.server.cluster.subscriber import Subscriber
from app.server.cluster.writer import Writer

log = logging.getLogger(__name__)
# Members per mirror script call: a whole big room is written in chunks.
MIRROR_CHUNK = 500
INDEX = "redis.call('SADD', KEYS[1], ARGV[1]) return 1"
UNINDEX = "redis.call('SREM', KEYS[1], ARGV[1]) return 1"
_ENDED = (LeaseState.LOST, LeaseState.RELEASED)


class RedisLease:
    def __init__(
        self,
        keeper: "LeaseKeeper",
        room_id: str,
        epoch: int,
        deadline: float,
        on_state: StateListener | None,
    ) -> None:
        self._keeper = keeper
        self.room_id = room_id
        self.epoch = epoch
        self.keys: RoomKeys = keeper.keys.room(room_id)
        self._token = Holder(keeper.node_id, epoch).token
        self._state = LeaseState.ACTIVE
        # Written by the renewal thread too (a float, one store): see `extend`.
        self._deadline = deadline
        self._revoked = False  # a renewal found another holder: out at once
        self._on_state = on_state
        self._watchdog: asyncio.TimerHandle | None = None
        # What this origin last mirrored, kept to write it again in full
        # when Redis lost it or missed a write (`dirty`).
        self._members: dict[int, MemberEntry] = {}
        self._room_state: bytes | None = None
        self._summary: bytes | None = None
        self.dirty = False
        self._arm()

    # -- what the hub sees -----------------------------------------------------

    @property
    def state(self) -> LeaseState:
        return self._state

    @property
    def token(self) -> str:
        return self._token

    @property
    def active(self) -> bool:
        # The clock as well as the state: after a pause the watchdog has not
        # run yet, but the time is up all the same.
        return (
            self._state is LeaseState.ACTIVE
            and not self._revoked
            and self._keeper.now() < self._deadline
        )

    def publish(self, seq: int, frame: bytes) -> "asyncio.Future[Outcome]":
        if not self.active:
            return _refused(self.room_id, self._state)
        payload = wire.encode(wire.EventEnvelope(self.epoch, seq, frame))
        call = scripts.Call(
            scripts.PUBLISH,
            [self.keys.lease, self.keys.seq],
            [self._token, self.keys.events, seq, payload],
        )
        return self._keeper.writer.submit(self.room_id, call)

    def notify(
        self, target: int, frame: bytes, kick: bool = False, node: str = ""
    ) -> "asyncio.Future[Outcome]":
        if not self.active:
            return _refused(self.room_id, self._state)
        envelope = wire.EventEnvelope(self.epoch, 0, frame, target, kick, node)
        call = scripts.Call(
            scripts.PUBLISH,
            [self.keys.lease, self.keys.seq],
            [self._token, self.keys.events, 0, wire.encode(envelope)],
        )
        return self._keeper.writer.submit(self.room_id, call)

    def mirror(
        self,
        upserts: Mapping[int, MemberEntry] | None = None,
        removals: Iterable[int] = (),
        state: bytes | None = None,
    ) -> "asyncio.Future[Outcome]":
        upserts = dict(upserts or {})
        removed = [uid for uid in removals if uid not in upserts]
        self._members.update(upserts)
        for uid in removed:
            self._members.pop(uid, None)
        if state is not None:
            self._room_state = state
        if self._state in _ENDED:
            return _refused(self.room_id, self._state)
        if not self.active:
            self.dirty = True  # written in full once the lease is back
            return _done(Outcome.UNSENT)
        return self._write_mirror(upserts, removed, state, reset=False)

    def list(self, summary: bytes) -> "asyncio.Future[Outcome]":
        self._summary = summary
        if self._state in _ENDED:
            return _refused(self.room_id, self._state)
        if not self.active:
            self.dirty = True
            return _done(Outcome.UNSENT)
        return self._write_listing(summary)

    async def release(self) -> None:
        if self._state in _ENDED:
            return
        self._end(LeaseState.RELEASED)
        call = scripts.Call(scripts.RELEASE, [self.keys.lease, self.keys.epoch], [self._token])
        await self._keeper.writer.submit(self.room_id, call, fenced=False)

    async def close(self) -> None:
        if self._state in _ENDED:
            return
        k = self.keys
        doomed = [k.seq, k.members, k.where, k.counts, k.state, k.listing]
        close = scripts.Call(scripts.CLOSE, [k.lease, k.epoch, *doomed], [self._token])
        ended = self._keeper.writer.submit(self.room_id, close)
        self._unindex()
        self._end(LeaseState.RELEASED)
        await ended

    # -- what the keeper and the request server use ----------------------------

    def reply(self, sender: str, payload: bytes) -> "asyncio.Future[Outcome]":
        """A reply to a forwarded request, after this origin's earlier writes."""
        if not self.active:
            return _refused(self.room_id, self._state)
        call = scripts.Call(
            scripts.SEND, [self.keys.lease], [self._token, self.keys.replies(sender), payload]
        )
        return self._keeper.writer.submit(self.room_id, call)

    def renewal(self, ttl_ms: int) -> scripts.Call:
        """The script that renews this lease (built on the renewal thread too)."""
        return scripts.Call(
            scripts.RENEW,
            [self.keys.lease, self.keys.epoch],
            [self._token, self._keeper.node_id, self.epoch, ttl_ms],
        )

    def extend(self, sent_at: float) -> None:
        """A renewal sent at `sent_at` succeeded (called from the renewal thread
        as well: the loop may be stalled, and must see the lease valid when it
        wakes). Only ever later: two renewals racing both held the lease."""
        self._deadline = max(self._deadline, sent_at + self._keeper.valid_for)

    def revoke(self) -> None:
        """A renewal found the lease held by another (from the renewal thread):
        not active from now on, before the loop hears of it."""
        self._revoked = True

    def renewed(self, sent_at: float, reclaimed: bool) -> None:
        if self._state in _ENDED:
            return
        self.extend(sent_at)
        self._arm()
        if reclaimed:
            self.dirty = True  # the key was gone: Redis may have lost the rest too
        if self._state is LeaseState.SUSPENDED:
            log.info("lease of room %s is back (epoch %d)", self.room_id, self.epoch)
            self._set(LeaseState.ACTIVE)
        if self.dirty:
            self.rewrite()

    def lose(self, why: str) -> None:
        if self._state in _ENDED:
            return
        log.warning("lost the lease of room %s (epoch %d): %s", self.room_id, self.epoch, why)
        self._end(LeaseState.LOST)

    def rewrite(self) -> None:
        """Write the whole mirror and the listing again (Redis restarted or missed writes)."""
        if not self.active:
            return
        self.dirty = False
        self._write_mirror(self._members, [], self._room_state, reset=True)
        if self._summary is not None:
            self._write_listing(self._summary)

    # -- internals -------------------------------------------------------------

    def _write_mirror(
        self,
        upserts: Mapping[int, MemberEntry],
        removals: Sequence[int],
        state: bytes | None,
        reset: bool,
    ) -> "asyncio.Future[Outcome]":
        k = self.keys
        items = list(upserts.items())
        chunks = [items[i : i + MIRROR_CHUNK] for i in range(0, len(items), MIRROR_CHUNK)] or [[]]
        future: asyncio.Future[Outcome] | None = None
        for n, chunk in enumerate(chunks):
            last = n == len(chunks) - 1
            args: list[scripts.Arg] = [self._token, "1" if reset and n == 0 else "0", len(chunk)]
            for uid, entry in chunk:
                args += [uid, entry.node or "", entry.data]
            gone = removals if last else []
            args.append(len(gone))
            args += list(gone)
            args += ["1", state] if last and state is not None else ["0"]
            future = self._keeper.writer.submit(
                self.room_id, scripts.Call(scripts.MIRROR, [k.lease, *k.mirror()], args)
            )
        assert future is not None
        return future  # the chunks go in order: the last one settles after the others

    def _write_listing(self, summary: bytes) -> "asyncio.Future[Outcome]":
        k = self.keys
        listed = self._keeper.writer.submit(
            self.room_id, scripts.Call(scripts.LIST, [k.lease, k.listing], [self._token, summary])
        )
        self._keeper.writer.submit(
            self.room_id,
            scripts.Call(INDEX, [self._keeper.keys.rooms], [self.room_id]),
            fenced=False,
        )
        return listed

    def _unindex(self) -> None:
        self._keeper.writer.submit(
            self.room_id,
            scripts.Call(UNINDEX, [self._keeper.keys.rooms], [self.room_id]),
            fenced=False,
        )

    def _arm(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        self._watchdog = self._keeper.call_at(self._deadline, self._time_up)

    def _time_up(self) -> None:
        self._watchdog = None
        if self._state is LeaseState.ACTIVE and self._keeper.now() < self._deadline:
            self._arm()  # the renewal thread extended it meanwhile
            return
        if self._state is LeaseState.ACTIVE:
            log.warning(
                "lease of room %s (epoch %d) ran out unrenewed: not acting on it",
                self.room_id,
                self.epoch,
            )
            self._set(LeaseState.SUSPENDED)

    def _end(self, state: LeaseState) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        self._set(state)
        self._keeper.forget(self)

    def _set(self, state: LeaseState) -> None:
        if state is self._state:
            return
        self._state = state
        if self._on_state is not None:
            try:
                self._on_state(self, state)
            except Exception:
                log.exception("lease state listener failed for room %s", self.room_id)


class LeaseKeeper:
    def __init__(
        self,
        link: RedisLink,
        writer: Writer,
        subscriber: Subscriber,
        keys: Keys,
        node_id: str,
        config: ClusterConfig,
        on_request: Callable[[str, bytes], None],
    ) -> None:
        self.link = link
        self.writer = writer
        self.keys = keys
        self.node_id = node_id
        self._subscriber = subscriber
        self._config = config
        self._on_request = on_request
        self._held: dict[str, RedisLease] = {}
        self._loop = asyncio.get_running_loop()
        self._chores: set[asyncio.Task[None]] = set()
        self.valid_for = config.lease_ttl - config.lease_margin
        self.renewer = Renewer(config, self._loop, self._settle)

    def now(self) -> float:
        # The renewal thread's clock too (not the loop's own, which uvloop caches).
        return time.monotonic()

    def call_at(self, when: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        return self._loop.call_later(max(0.0, when - self.now()), callback)

    @property
    def held(self) -> dict[str, RedisLease]:
        return dict(self._held)

    def get(self, room_id: str) -> RedisLease | None:
        return self._held.get(room_id)

    async def acquire(
        self, room_id: str, floor: int, on_state: StateListener | None
    ) -> RedisLease | None:
        existing = self._held.get(room_id)
        if existing is not None:
            return existing
        k = self.keys.room(room_id)
        ttl_ms = round(self._config.lease_ttl * 1000)
        call = scripts.Call(scripts.ACQUIRE, [k.lease, k.epoch], [self.node_id, ttl_ms, floor])
        sent_at = self.now()
        try:
            result = await self.link.call(lambda client: scripts.run(client, call))
        except RedisDown as exc:
            raise Unavailable(f"cannot take room {room_id}: {exc}") from exc
        if int(result[0]) == 1:
            epoch = int(result[1])
        else:
            held = Holder.parse(_text(result[1]))
            if held.node_id != self.node_id:
                return None
            epoch = held.epoch  # a retried acquisition found its own first try
        lease = RedisLease(self, room_id, epoch, sent_at + self.valid_for, on_state)
        self._held[room_id] = lease
        self._renew_these()
        log.info("origin of room %s (epoch %d)", room_id, lease.epoch)
        # Requests may come once this returns: listen first.
        await self._subscriber.add(
            k.rpc, lambda data: self._on_request(room_id, data), on_reset=_nothing
        )
        return lease

    def forget(self, lease: RedisLease) -> None:
        if self._held.get(lease.room_id) is lease:
            del self._held[lease.room_id]
            self._renew_these()
            self._spawn(self._subscriber.remove(lease.keys.rpc))

    def fenced(self, room_id: str) -> None:
        lease = self._held.get(room_id)
        if lease is not None:
            lease.lose("Redis refused a write: another node holds the room")

    def unsent(self, room_id: str) -> None:
        lease = self._held.get(room_id)
        if lease is not None:
            lease.dirty = True

    def newer_epoch(self, room_id: str, epoch: int) -> None:
        lease = self._held.get(room_id)
        if lease is not None and epoch > lease.epoch:
            lease.lose(f"epoch {epoch} seen")

    async def run(self) -> None:
        """The renewal thread's life, and the loop's sign of life to it."""
        self.renewer.start()
        try:
            while True:
                self.renewer.loop_alive()
                await asyncio.sleep(min(self._config.renew_interval, 0.25))
        finally:
            self.renewer.stop()

    async def renew_all(self) -> None:
        """Renew now, from the loop (Redis just came back: no waiting for the thread)."""
        leases = [lease for lease in self._held.values() if lease.state not in _ENDED]
        if not leases:
            return
        ttl_ms = round(self._config.lease_ttl * 1000)
        calls = [lease.renewal(ttl_ms) for lease in leases]
        sent_at = self.now()
        results = await self.link.call(
            lambda client: scripts.run_batch(client, calls), renewal=True
        )
        self._settle(leases, results, sent_at)

    def _settle(self, leases: Sequence[Renewable], results: Sequence[Any], sent_at: float) -> None:
        """A round of renewals answered (on the loop)."""
        for lease, result in zip(leases, results, strict=True):
            assert isinstance(lease, RedisLease)
            if isinstance(result, Exception):
                log.error("renewing room %s failed: %s", lease.room_id, result)
            elif int(result[0]) in (1, 2):
                lease.renewed(sent_at, reclaimed=int(result[0]) == 2)
            else:
                holder = result[1].decode() if len(result) > 1 and result[1] else "a newer epoch"
                lease.revoke()
                lease.lose(f"held by {holder}")

    def _renew_these(self) -> None:
        self.renewer.leases = tuple(self._held.values())

    async def release_all(self) -> None:
        for lease in list(self._held.values()):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(lease.release(), self._config.command_timeout)

    async def close(self) -> None:
        self.renewer.stop()
        for chore in list(self._chores):
            chore.cancel()
        await asyncio.gather(*self._chores, return_exceptions=True)
        await asyncio.to_thread(self.renewer.join, self._config.command_timeout + 1.0)

    def _spawn(self, chore: Coroutine[Any, Any, None]) -> None:
        task = self._loop.create_task(chore)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _nothing() -> None:
    # A break in the request channel loses requests; senders retry on their own.
    return None


def _done(outcome: Outcome) -> "asyncio.Future[Outcome]":
    future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
    future.set_result(outcome)
    return future


def _refused(room_id: str, state: LeaseState) -> "asyncio.Future[Outcome]":
    future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
    future.set_exception(Fenced(f"room {room_id}: the lease is {state.value}, not acting"))
    future.add_done_callback(lambda f: f.exception())
    return future
