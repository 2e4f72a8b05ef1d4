"""Per-connection request handling: order (hello, then sign-in), limits, routing.

Every request gets exactly one reply: `ok` with its data or `error` with a
stable code. Nothing here decides room rules; those are the core's.
"""

import logging
from collections import Counter
from collections.abc import Callable

from app import __version__
from app.protocol import PROTOCOL_VERSION, DecodeFailure, ErrorCode, decode_client, encode
from app.protocol.codec import MAX_MESSAGE_BYTES
from app.protocol.replies import (
    AnyReplyData,
    Authenticated,
    BroadcastStream,
    Error,
    InviteCreated,
    Ok,
    RecordingList,
    ReplayList,
    ReplayStream,
    RoomList,
    RoomState,
    Scheduled,
    UpcomingList,
    Welcome,
)
from app.protocol.requests import (
    CancelScheduled,
    ClientMessage,
    CreateInvite,
    CreateRoom,
    EditScheduled,
    EndRoom,
    Hello,
    JoinRoom,
    LeaveRoom,
    ListAudience,
    ListBans,
    ListenBroadcast,
    ListRecordings,
    ListReplays,
    ListRooms,
    ListUpcoming,
    Login,
    Logout,
    MediaOffer,
    OpenReplay,
    PushToTalk,
    React,
    Register,
    Resume,
    ScheduleRoom,
    SetRecording,
    SetReminder,
    SetReplay,
    SetSpeakerVolumes,
    StartScheduled,
    Sync,
)
from app.server.accounts import AccountError, Accounts, SignedIn
from app.server.admission import Busy
from app.server.broadcast.streams import Broadcasts
from app.server.http.connection import Connection
from app.server.http.lane import AudienceLane
from app.server.http.ratelimit import RateLimits
from app.server.hub import RoomHub
from app.server.logs import RateLimitedLog
from app.server.replays import Replays
from app.server.rooms import Actor, RoomError
from app.server.schedules import Schedules

log = logging.getLogger(__name__)

SIGN_IN = (Register, Login, Resume)
# Failures that cost a password hash or guess at one: limited per source.
_COUNTED_FAILURES = frozenset({ErrorCode.BAD_CREDENTIALS, ErrorCode.USERNAME_TAKEN})


class Refused(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Dispatcher:
    def __init__(
        self,
        accounts: Accounts,
        hub: RoomHub,
        limits: RateLimits,
        lane: AudienceLane | None = None,
        broadcasts: Broadcasts | None = None,
        schedules: Schedules | None = None,
        replays: Replays | None = None,
    ) -> None:
        self._accounts = accounts
        self._hub = hub
        self._schedules = schedules
        self._replays = replays
        self._limits = limits
        self._broadcasts = broadcasts
        # The audience's requests take turns; the stage's go first.
        self.lane = lane or AudienceLane()
        # Told when a logout revoked a token, to end its other connections.
        self.on_logout: Callable[[str, Connection], None] = lambda _token, _conn: None
        self._faults = RateLimitedLog(log)
        # Signed-in connections per account, to forget its limits with the last.
        self._sessions_of: Counter[int] = Counter()

    def closed(self, conn: Connection) -> None:
        """The connection is gone: its rate-limit keys go too."""
        self._limits.forget_connection(conn.conn_id)
        self.sign_out(conn)

    def sign_out(self, conn: Connection) -> None:
        user_id = conn.user_id
        conn.user_id, conn.username, conn.token = 0, "", None
        if user_id == 0:
            return
        if self._schedules is not None:
            self._schedules.signed_out(conn, user_id)
        self._sessions_of[user_id] -= 1
        if self._sessions_of[user_id] <= 0:
            del self._sessions_of[user_id]
            self._limits.forget_user(user_id)

    async def on_frame(self, conn: Connection, raw: bytes) -> bytes:
        """Handle one frame and return the encoded reply."""
        try:
            envelope = decode_client(raw)
        except DecodeFailure as exc:
            conn.request_key = "audience:undecodable"
            return encode(Error(id=exc.request_id, code=exc.code, message=exc.message))
        except Exception:  # the codec's own bug: still an answer, never a closed connection
            conn.request_key = "audience:undecodable"
            self._faults.error("decode", "decoding a frame failed", exc_info=True)
            return encode(Error(id=None, code=ErrorCode.INVALID, message="unreadable message"))
        rid, request = envelope.id, envelope.request
        kind = type(request).__struct_config__.tag
        if self._for_stage(conn, request):
            conn.request_key = f"stage:{kind}"
            return await self._answer(conn, rid, request)
        conn.request_key = f"audience:{kind}"
        mark = await self.lane.turn()
        started = self.lane.now()
        try:
            return await self._answer(conn, rid, request)
        finally:
            self.lane.charge(mark, started)

    def goes_first(self, conn: Connection) -> bool:
        """On the stage of the room it is in: its frames are read ahead of the audience's."""
        return conn.signed_in and self._hub.holds_stage_place(conn.user_id, conn.room_id)

    def _for_stage(self, conn: Connection, req: ClientMessage) -> bool:
        """From someone who holds a place on the stage of the room at hand."""
        room_id = req.room_id if isinstance(req, JoinRoom) else conn.room_id
        return conn.signed_in and self._hub.holds_stage_place(conn.user_id, room_id)

    async def _answer(self, conn: Connection, rid: int, request: ClientMessage) -> bytes:
        try:
            data = await self._handle(conn, request)
        except (Refused, RoomError, AccountError) as exc:
            return encode(Error(id=rid, code=exc.code, message=exc.message))
        except Busy as exc:
            # Timed apart: a quick refusal is not an admitted join.
            conn.request_key = f"{conn.request_key}:busy"
            return encode(
                Error(
                    id=rid,
                    code=ErrorCode.BUSY,
                    message=f"the server is admitting joins; try again in {exc.retry_after:.1f} s",
                    retry_after=exc.retry_after,
                )
            )
        except Exception as exc:
            # Rate limited: a client that can trigger a bug must not flood the log.
            kind = type(request).__name__
            self._faults.error(
                f"{kind} {type(exc).__name__}", "request %s failed", kind, exc_info=True
            )
            return encode(Error(id=rid, code=ErrorCode.INTERNAL, message="internal server error"))
        return encode(Ok(id=rid, data=data))

    async def _handle(self, conn: Connection, req: ClientMessage) -> AnyReplyData | None:
        if not self._limits.allow_message(conn.conn_id, conn.user_id):
            raise Refused(ErrorCode.RATE_LIMITED, "too many messages; slow down")
        if isinstance(req, Hello):
            if req.protocol != PROTOCOL_VERSION:
                raise Refused(ErrorCode.UNSUPPORTED_VERSION, version_refusal(req.protocol))
            conn.greeted = True
            return Welcome(
                protocol=PROTOCOL_VERSION,
                server=f"panggung-server {__version__}",
                max_message_bytes=MAX_MESSAGE_BYTES,
                nodes=self._hub.node_urls,
            )
        if not conn.greeted:
            raise Refused(ErrorCode.HELLO_REQUIRED, "send hello first")
        if isinstance(req, SIGN_IN):
            return await self._sign_in(conn, req)
        if not conn.signed_in:
            raise Refused(ErrorCode.AUTH_REQUIRED, "register, log in or resume first")
        return await self._signed_in(conn, req)

    async def _sign_in(self, conn: Connection, req: Register | Login | Resume) -> Authenticated:
        if conn.signed_in:
            raise Refused(ErrorCode.ALREADY_AUTHENTICATED, "this connection is signed in already")
        signed: SignedIn
        if isinstance(req, Resume):
            signed = await self._accounts.resume(req.token)
        else:
            source = conn.remote
            if not self._limits.allow_sign_in(source, req.username):
                raise Refused(ErrorCode.RATE_LIMITED, "too many failed attempts; wait a minute")
            try:
                if isinstance(req, Register):
                    signed = await self._accounts.register(req.username, req.password)
                else:
                    signed = await self._accounts.login(req.username, req.password)
            except AccountError as exc:
                if exc.code in _COUNTED_FAILURES:
                    self._limits.sign_in_failed(source, req.username)
                raise
            self._limits.signed_in(source, req.username)
        conn.user_id, conn.username, conn.token = signed.user_id, signed.username, signed.token
        self._sessions_of[signed.user_id] += 1
        if self._schedules is not None:
            self._schedules.signed_in(conn)
        return Authenticated(
            user_id=signed.user_id,
            username=signed.username,
            token=signed.token,
            expires_at=signed.expires_at,
        )

    async def _signed_in(self, conn: Connection, req: ClientMessage) -> AnyReplyData | None:
        actor = Actor(conn.user_id, conn.username)
        hub = self._hub
        match req:
            case ListRooms():
                return RoomList(rooms=hub.list_rooms(conn.user_id))
            case CreateRoom():
                return RoomState(room=await hub.create(conn, actor, req))
            case JoinRoom():
                return RoomState(room=await hub.join(conn, actor, req.room_id, req.invite_code))
            case Sync():
                return RoomState(room=await hub.snapshot_of(conn))
            case CreateInvite():
                code, link = await hub.create_invite(conn, actor)
                return InviteCreated(code=code, link=link)
            case Logout():
                # Revoked first: if storage cannot, nothing has changed yet.
                token = conn.token
                if token is not None:
                    await self._accounts.logout(token)
                if conn.room_id is not None:
                    await hub.command(conn, actor, LeaveRoom())
                self.sign_out(conn)
                if token is not None:
                    self.on_logout(token, conn)
                return None
            case React() if not self._limits.allow_reaction(conn.user_id):
                raise Refused(ErrorCode.RATE_LIMITED, "too many reactions; wait a moment")
            case MediaOffer():
                return await hub.media_offer(conn, req.sdp)
            case SetRecording():
                await hub.set_recording(conn, actor, req.on)
                return None
            case ListRecordings():
                return RecordingList(recordings=await hub.recordings.list_for(conn.user_id))
            case ListAudience():
                return await hub.audience_page(conn, actor, req)
            case ListBans():
                return await hub.ban_list(conn, actor, req)
            case PushToTalk():
                await hub.push_to_talk(conn, req.pressed)
                return None
            case ListenBroadcast():
                return self._broadcast_stream(conn)
            case EndRoom():
                recording_id = await hub.end_room(conn, actor, req)
                if recording_id is not None and req.replay not in (None, "private"):
                    # The host's choice for the recording that ran until the end.
                    await self._replay_shell().choose(conn.user_id, recording_id, req.replay)
                return None
            case ListReplays():
                return ReplayList(replays=await self._replay_shell().list_for(conn.user_id))
            case OpenReplay():
                url, expires, info = await self._replay_shell().open(conn.user_id, req.recording_id)
                return ReplayStream(url=url, expires_at=expires, replay=info)
            case SetReplay():
                await self._replay_shell().choose(conn.user_id, req.recording_id, req.replay)
                return None
            case SetSpeakerVolumes():
                await hub.set_speaker_volumes(conn, req)
                return None
            case (
                ScheduleRoom()
                | EditScheduled()
                | CancelScheduled()
                | StartScheduled()
                | ListUpcoming()
                | SetReminder()
            ):
                return await self._schedule(conn, actor, req)
            case Hello() | Register() | Login() | Resume():
                raise AssertionError("handled before sign-in")
            case _:
                await hub.command(conn, actor, req)
                return None

    def _replay_shell(self) -> Replays:
        if self._replays is None:
            raise Refused(ErrorCode.UNAVAILABLE, "this server keeps no replays")
        return self._replays

    def _broadcast_stream(self, conn: Connection) -> BroadcastStream:
        if conn.room_id is None:
            raise Refused(ErrorCode.NOT_IN_ROOM, "join a room first")
        if self._broadcasts is None:
            raise Refused(ErrorCode.MEDIA_FAILED, "this server has no broadcast tier")
        room = self._hub.local_room(conn.room_id)
        if room is not None:
            return self._broadcasts.stream_for(room, conn.user_id)
        # Held by another node, which writes its HLS: this node serves it as
        # an edge (its origin checks the member on every request).
        listed = self._hub.listed(conn.room_id)
        if listed is None:
            raise Refused(ErrorCode.UNAVAILABLE, "the room is not listed yet; try again")
        return self._broadcasts.stream_at(conn.room_id, listed.invite_only, conn.user_id)

    async def _schedule(
        self,
        conn: Connection,
        actor: Actor,
        req: ScheduleRoom
        | EditScheduled
        | CancelScheduled
        | StartScheduled
        | ListUpcoming
        | SetReminder,
    ) -> AnyReplyData:
        schedules = self._schedules
        if schedules is None:
            raise Refused(ErrorCode.UNAVAILABLE, "this server does not schedule rooms")
        match req:
            case ScheduleRoom():
                return Scheduled(room=await schedules.schedule(actor, req))
            case EditScheduled():
                return Scheduled(room=await schedules.edit(actor, req))
            case CancelScheduled():
                return Scheduled(room=await schedules.cancel(actor, req.schedule_id))
            case StartScheduled():
                return RoomState(room=await schedules.start(conn, actor, req.schedule_id))
            case SetReminder():
                return Scheduled(room=await schedules.set_reminder(actor, req.schedule_id, req.on))
            case ListUpcoming():
                return UpcomingList(rooms=await schedules.upcoming(conn.user_id))


def version_refusal(theirs: int) -> str:
    """What a client of another protocol version is told; people read it."""
    if theirs < PROTOCOL_VERSION:
        return (
            f"this server speaks protocol {PROTOCOL_VERSION}, not {theirs}: since protocol 2 "
            "the audience is sent as counts rather than one event per listener, which an "
            "older client would show as an empty room. Please update Panggung."
        )
    return (
        f"this server speaks protocol {PROTOCOL_VERSION}, not {theirs}: "
        "the server is older than this client; ask its operator to update it"
    )
