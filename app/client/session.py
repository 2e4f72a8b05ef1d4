"""A signed-in client that stays in its room: it follows events, resyncs on a
gap, and reconnects (resume the token, join the room again) when the
connection drops — the server keeps our place for its grace period.

Reconnects back off exponentially with full jitter (a random wait between 0
and the current cap), so that after a server restart thousands of clients do
not all come back in the same instant; a join the server answers with
`busy` is retried after the `retry_after` it names.
"""

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable

import msgspec

from app.client.changes import (
    ActionsAllowed,
    AudienceCounted,
    ChangeStream,
    EventApplied,
    KickedOut,
    LinkDown,
    LinkUp,
    MediaMoved,
    MediaStall,
    ReactionBurst,
    RoomReset,
    ScheduleNoticed,
    SpeakingLevels,
)
from app.client.connection import ConnectionLost, RequestFailed, ServerConnection
from app.client.room_model import RoomModel
from app.protocol import PROTOCOL_VERSION
from app.protocol.events import AnyRoomEvent
from app.protocol.replies import (
    Allowed,
    AnyReplyData,
    Audience,
    AudiencePage,
    Authenticated,
    BanList,
    Event,
    Kicked,
    MediaStalled,
    OfferAgain,
    Reactions,
    RoomState,
    ScheduleNotice,
    Speaking,
    Welcome,
)
from app.protocol.requests import (
    CreateRoom,
    Hello,
    JoinRoom,
    LeaveRoom,
    ListAudience,
    ListBans,
    Login,
    Register,
    Request,
    Resume,
    StartScheduled,
    Sync,
)

log = logging.getLogger(__name__)

EventHook = Callable[[AnyRoomEvent], None]
ReactionHook = Callable[[Reactions], None]

# Reconnect backoff: the cap doubles from BACKOFF_BASE up to BACKOFF_CAP seconds.
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0
# How long a join keeps asking a busy server before it gives up.
ADMISSION_PATIENCE = 600.0
LEAVE_TIMEOUT = 3.0  # a clean close waits this long for the leave to be confirmed
# A close waits this long for the server's close frame: a server still busy
# with our last request (a resync mid-takeover) reads ours only after it.
CLOSE_TIMEOUT = 1.0
# A resync waits this long for a room that is between origins (unavailable).
RESYNC_PATIENCE = 30.0


def backoff(attempt: int, rng: random.Random, base: float = BACKOFF_BASE) -> float:
    """Full jitter: anywhere between 0 and base * 2**attempt (capped)."""
    return rng.uniform(0.0, min(BACKOFF_CAP, base * 2.0 ** min(attempt, 30)))


def busy_wait(exc: RequestFailed, rng: random.Random) -> float:
    """How long to wait after a `busy`: the server's word, spread a little."""
    return (exc.retry_after or 1.0) * rng.uniform(1.0, 1.1)


class RoomClient:
    def __init__(
        self,
        url: str,
        client_name: str = "panggung",
        reconnect: bool = True,
        rng: random.Random | None = None,
    ) -> None:
        self.url = url
        self.rng = rng or random.Random()
        # Every wait before a reconnect attempt, in order (tests look at the spread).
        self.backoffs: list[float] = []
        self.busy_answers = 0
        self.client_name = client_name
        self.reconnect = reconnect
        self.user_id = 0
        self.username = ""
        self.token: str | None = None
        self.model: RoomModel | None = None
        self.kicked: str | None = None
        self.reconnects = 0
        # A cluster's other nodes (from `welcome`): where to reconnect when ours is gone.
        self.nodes: list[str] = []
        # Everything that changes, as one typed stream (changes.py): what views
        # follow. The hooks below are older, narrower ways in, kept for their users.
        self.changes = ChangeStream()
        self.event_hooks: list[EventHook] = []
        # Reaction bursts (at most one a second per room).
        self.reaction_hooks: list[ReactionHook] = []
        # Called after a reconnect put us back in our room (the server has
        # dropped our old media connection by then), and after a resync that
        # shows the room's media plane moved (a takeover in a cluster).
        self.rejoin_hooks: list[Callable[[], None]] = []
        self.speaking: dict[int, float] = {}
        # Scheduled rooms' notices, as they came (each arrives once).
        self.schedule_notices: list[ScheduleNotice] = []
        # The room's audio stopped reaching our node (an edge relay stalled):
        # True while it is, False once back (media_stalled).
        self.media_stalled = False
        self._invite_code: str | None = None
        self._conn: ServerConnection | None = None
        self._pump: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()
        self._closing = False
        # Events that arrive before the join reply installs the room (the
        # server may push the next event first); replayed on entering.
        self._early: list[Event] = []

    # -- connection and sign-in ------------------------------------------------

    async def connect(self) -> None:
        self._conn = await ServerConnection.open(self.url, timeout=CLOSE_TIMEOUT)
        await self._hello(self._conn)
        self._pump = asyncio.get_running_loop().create_task(self._follow(self._conn))

    async def _hello(self, conn: ServerConnection) -> None:
        welcome = await conn.call(Hello(protocol=PROTOCOL_VERSION, client=self.client_name))
        if isinstance(welcome, Welcome) and welcome.nodes:
            self.nodes = list(welcome.nodes)

    def _candidates(self) -> list[str]:
        """Our server first, then the cluster's other nodes."""
        return [self.url, *(url for url in self.nodes if url != self.url)]

    async def register(self, username: str, password: str) -> Authenticated:
        return self._signed_in(
            await self.conn.call_for(Register(username=username, password=password), Authenticated)
        )

    async def login(self, username: str, password: str) -> Authenticated:
        return self._signed_in(
            await self.conn.call_for(Login(username=username, password=password), Authenticated)
        )

    async def resume(self, token: str) -> Authenticated:
        return self._signed_in(await self.conn.call_for(Resume(token=token), Authenticated))

    def _signed_in(self, auth: Authenticated) -> Authenticated:
        self.user_id, self.username, self.token = auth.user_id, auth.username, auth.token
        return auth

    @property
    def conn(self) -> ServerConnection:
        if self._conn is None:
            raise ConnectionLost("not connected")
        return self._conn

    async def request(self, request: Request) -> AnyReplyData | None:
        return await self.conn.call(request)

    # -- rooms ---------------------------------------------------------------------

    async def create_room(
        self, title: str, topic: str = "", invite_only: bool = False, stage_capacity: int = 13
    ) -> RoomModel:
        state = await self.conn.call_for(
            CreateRoom(
                title=title,
                topic=topic,
                invite_only=invite_only,
                stage_capacity=stage_capacity,
            ),
            RoomState,
        )
        return await self._enter(state)

    async def start_scheduled(self, schedule_id: str) -> RoomModel:
        """Start a scheduled room now and enter it as its host."""
        state = await self.conn.call_for(StartScheduled(schedule_id=schedule_id), RoomState)
        return await self._enter(state)

    async def join(self, room_id: str, invite_code: str | None = None) -> RoomModel:
        state = await self._join(self.conn, room_id, invite_code)
        self._invite_code = invite_code
        return await self._enter(state)

    async def _join(
        self, conn: ServerConnection, room_id: str, invite_code: str | None
    ) -> RoomState:
        """join_room, waiting as long as the server asks while it is busy admitting."""
        deadline = asyncio.get_running_loop().time() + ADMISSION_PATIENCE
        while True:
            try:
                return await conn.call_for(
                    JoinRoom(room_id=room_id, invite_code=invite_code), RoomState
                )
            except RequestFailed as exc:
                if exc.code != "busy" or asyncio.get_running_loop().time() > deadline:
                    raise
                self.busy_answers += 1
                await asyncio.sleep(busy_wait(exc, self.rng))

    async def list_audience(
        self, after: str | None = None, prefix: str = "", limit: int = 50
    ) -> AudiencePage:
        """A page of the room's listeners by name (moderators only)."""
        return await self.conn.call_for(
            ListAudience(after=after, prefix=prefix, limit=limit), AudiencePage
        )

    async def list_bans(self) -> BanList:
        """The users banned from this room, with their names (moderators only)."""
        return await self.conn.call_for(ListBans(), BanList)

    async def _enter(self, state: RoomState) -> RoomModel:
        async with self._changed:
            self.kicked = None
            model = self.model = RoomModel(state.room, self.user_id)
            self._stalled(False)  # a new room: whoever carries its audio tells again
            early, self._early = self._early, []
            for pushed in early:
                if pushed.room_id == model.room_id and not model.apply(pushed.seq, pushed.event):
                    await self.resync(model)
                    break
            self._changed.notify_all()
        self.changes.publish(RoomReset())
        return model

    async def wait_until(
        self, predicate: Callable[[RoomModel], bool], timeout: float = 10.0
    ) -> RoomModel:
        """Wait until the room, as events arrive, satisfies `predicate`."""

        def ready() -> bool:
            return self.model is not None and predicate(self.model)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(ready), timeout)
        assert self.model is not None
        return self.model

    async def close(self, leave: bool = False) -> None:
        """Close the connection. With `leave`, leave the room first, so that the
        others see us go at once; a bare close looks like a dropped connection
        (the server keeps our place for its grace period)."""
        if leave and self.model is not None and self._conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.request(LeaveRoom()), LEAVE_TIMEOUT)
        self._closing = True
        if self._conn is not None:
            await self._conn.close()
        if self._pump is not None:
            self._pump.cancel()
            # A resync cut short by the close ends on the lost connection.
            with contextlib.suppress(asyncio.CancelledError, ConnectionLost):
                await self._pump

    # -- following the room --------------------------------------------------------

    async def _follow(self, conn: ServerConnection) -> None:
        while True:
            pushed = await conn.pushed.get()
            if pushed is None:
                break
            async with self._changed:
                if isinstance(pushed, Speaking):
                    self.speaking = dict(pushed.levels)
                    self.changes.publish(SpeakingLevels(dict(self.speaking)))
                elif isinstance(pushed, Audience):
                    # Before the join's reply there is no model: its snapshot
                    # is newer than any count that came first.
                    if self.model is not None and pushed.room_id == self.model.room_id:
                        self.model.apply_audience(pushed)
                        self.changes.publish(AudienceCounted())
                elif isinstance(pushed, Allowed):
                    # Like the counts: before the join's reply its snapshot is newer.
                    if self.model is not None and pushed.room_id == self.model.room_id:
                        self.model.allowed = frozenset(pushed.actions)
                        self.changes.publish(ActionsAllowed())
                elif isinstance(pushed, Reactions):
                    if self.model is not None and pushed.room_id == self.model.room_id:
                        for reaction_hook in self.reaction_hooks:
                            reaction_hook(pushed)
                        self.changes.publish(ReactionBurst(pushed))
                elif isinstance(pushed, Kicked):
                    if self.model is not None and pushed.room_id == self.model.room_id:
                        self.kicked = pushed.reason
                        self.changes.publish(KickedOut(pushed.reason))
                elif isinstance(pushed, Event):
                    await self._apply(pushed)
                elif isinstance(pushed, MediaStalled):
                    if self.model is not None and pushed.room_id == self.model.room_id:
                        self._stalled(pushed.stalled)
                elif isinstance(pushed, OfferAgain):
                    if self.model is not None and pushed.room_id == self.model.room_id:
                        self._offer_again()
                elif isinstance(pushed, ScheduleNotice):
                    self.schedule_notices.append(pushed)
                    self.changes.publish(ScheduleNoticed(pushed))
                self._changed.notify_all()
        if self._closing:
            return
        will_retry = self.reconnect and self.token is not None
        self.changes.publish(LinkDown(reconnecting=will_retry))
        if will_retry:
            await self._reconnect()

    async def _apply(self, pushed: Event) -> None:
        model = self.model
        if model is None or pushed.room_id != model.room_id:
            self._early = [*self._early[-999:], pushed]
            return
        if pushed.media_epoch > model.snapshot.media_epoch:
            self._media_moved(model, pushed.media_epoch)  # before the resync: sooner heard
        if not model.apply(pushed.seq, pushed.event):
            log.info("missed events before seq %d; resyncing", pushed.seq)
            await self.resync(model)
            return
        for hook in self.event_hooks:
            hook(pushed.event)
        self.changes.publish(EventApplied(pushed.event))

    async def resync(self, model: RoomModel) -> None:
        """A fresh snapshot (what a gap in the events asks for); a new media
        epoch means another node took the room over, whose media plane has none
        of our old connection."""
        before = model.snapshot.media_epoch
        deadline = asyncio.get_running_loop().time() + RESYNC_PATIENCE
        while True:
            try:
                state = await self.conn.call_for(Sync(), RoomState)
                break
            except RequestFailed as exc:
                # Mid-takeover the room answers nothing for a moment: a refusal
                # here would end the pump, and the room would no longer be followed.
                if exc.code != "unavailable" or asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(self.rng.uniform(0.1, 0.5))
        model.reset(state.room)
        self.changes.publish(RoomReset())
        if state.room.media_epoch != before:
            self._media_moved(model, state.room.media_epoch)

    def _offer_again(self) -> None:
        """The server asks for our audio again (another node carries it now)."""
        log.info("the server asks us to offer our audio again")
        self._stalled(False)  # the node that carries it next tells us if it stalls
        for hook in self.rejoin_hooks:
            hook()
        self.changes.publish(MediaMoved(origin=False))

    def _stalled(self, stalled: bool) -> None:
        if stalled != self.media_stalled:
            self.media_stalled = stalled
            self.changes.publish(MediaStall(stalled))

    def _media_moved(self, model: RoomModel, epoch: int) -> None:
        """Another node's media plane serves the room now: offer again."""
        log.info("the room's media moved (epoch %d); offering again", epoch)
        model.snapshot = msgspec.structs.replace(model.snapshot, media_epoch=epoch)
        self._stalled(False)
        for hook in self.rejoin_hooks:
            hook()
        self.changes.publish(MediaMoved())

    async def _reconnect(self) -> None:
        """Back off and retry until the session and room are back or we give up."""
        assert self.token is not None
        attempt = 0
        while not self._closing:
            wait = backoff(attempt, self.rng)
            self.backoffs.append(wait)
            attempt += 1
            await asyncio.sleep(wait)
            # Each attempt the next node: a dead one is left after one try.
            candidates = self._candidates()
            url = candidates[(attempt - 1) % len(candidates)]
            try:
                conn = await ServerConnection.open(url, timeout=CLOSE_TIMEOUT)
                await self._hello(conn)
                await conn.call_for(Resume(token=self.token), Authenticated)
                state, lost_reason = await self._rejoin(conn)
            except RequestFailed as exc:
                log.warning("reconnect refused: %s", exc)
                if exc.code == "invalid_token":
                    self.changes.publish(LinkDown(reconnecting=False))
                    return
                continue
            except (OSError, ConnectionLost, TimeoutError) as exc:
                log.info("reconnect failed: %s", exc)
                continue
            except Exception as exc:  # aiohttp raises its own types for refused sockets
                log.info("reconnect failed: %r", exc)
                continue
            async with self._changed:
                self._conn = conn
                self.url = url
                self.reconnects += 1
                if state is not None:
                    self.model = RoomModel(state.room, self.user_id)
                elif lost_reason is not None:
                    self.kicked = lost_reason
                self._changed.notify_all()
            self._pump = asyncio.get_running_loop().create_task(self._follow(conn))
            if state is not None:
                self._stalled(False)  # our audio is offered again: its node tells again
                for hook in self.rejoin_hooks:
                    hook()
                self.changes.publish(RoomReset())
            self.changes.publish(LinkUp(rejoined=state is not None))
            return

    async def _rejoin(self, conn: ServerConnection) -> tuple[RoomState | None, str | None]:
        """Join our room again; the reason instead when the room is gone for us."""
        if self.model is None or self.kicked is not None:
            return None, None
        try:
            state = await self._join(conn, self.model.room_id, self._invite_code)
        except RequestFailed as exc:
            if exc.code == "unavailable":
                raise  # the room is between nodes (a takeover): try again
            # Ended, banned, locked out while we were away: stay signed in, roomless.
            return None, exc.code
        return state, None
