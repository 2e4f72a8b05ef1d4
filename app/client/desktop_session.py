"""The desktop app's session: the directory, the room and its audio.

It outlives the window (closing it only hides it) and knows nothing of Qt:
the window binds to it through `listeners`, which get a `Change` and, for
errors and notices, a `Notice`. It follows the RoomClient through its one
change stream (changes.py) and reports what changed: nothing polls.
Signing in (sign_in.py), push-to-talk's sync with the server (ptt_sync.py)
and the wording of room notices (room_notices.py) are their own classes.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.client import recordings
from app.client.app_settings import Settings, SettingsStore
from app.client.app_state import AppState, Phase
from app.client.audio_backend import AudioBackend
from app.client.changes import (
    ActionsAllowed,
    AudienceCounted,
    ClientChange,
    EventApplied,
    KickedOut,
    LinkDown,
    LinkUp,
    MediaStall,
    ReactionBurst,
    RoomReset,
    ScheduleNoticed,
    SpeakingLevels,
    Unsubscribe,
)
from app.client.messages import explain, explain_code
from app.client.notices import Notice as Notice
from app.client.notices import notice
from app.client.ptt import PttMachine, PttMode, PttSource, Scheduler
from app.client.ptt_sync import PttSync
from app.client.replay_shelf import ReplayShelf
from app.client.room_audio import RoomAudio, Tier
from app.client.room_model import RoomModel
from app.client.room_notices import RoomNotices
from app.client.secrets import TokenStore
from app.client.session import RoomClient
from app.client.sign_in import SignIn
from app.client.speaker_volumes import SpeakerVolumes
from app.client.talk import Talk, may_talk, talk_state
from app.client.upcoming import UpcomingRooms
from app.client.voice_link import VoiceLink
from app.protocol.events import AnyRoomEvent, MemberUpdated
from app.protocol.links import parse_link
from app.protocol.model import (
    STAGE_ROLES,
    Action,
    MemberView,
    RecordingInfo,
    ReplayChoice,
    RoomSummary,
)
from app.protocol.replies import AudiencePage, BanList, InviteCreated, RoomList
from app.protocol.requests import (
    AcceptInvite,
    CreateInvite,
    LeaveRoom,
    ListRooms,
    PushToTalk,
    Request,
    SetSpeakerVolumes,
)

log = logging.getLogger(__name__)


class Change(StrEnum):
    PHASE = "phase"
    ROOM = "room"  # the room model changed (members, settings, ended)
    ROOMS = "rooms"  # the directory list changed
    SPEAKING = "speaking"
    PTT = "ptt"
    ERROR = "error"
    NOTICE = "notice"
    # Someone reacted: Notice(kind=the reaction, text=their name, or "+N" for
    # that many more of the same in the room's burst).
    REACTION = "reaction"


Listener = Callable[[Change, Notice | None], None]


class DesktopSession:
    def __init__(
        self,
        url: str,
        tokens: TokenStore,
        audio: AudioBackend,
        settings: Settings | None = None,
        store: SettingsStore | None = None,
        account_key: str | None = None,
        media: bool = True,
        scheduler: Scheduler | None = None,
    ) -> None:
        self.url = url
        self.tokens = tokens
        self.audio = audio
        self.settings = settings or Settings()
        self._store = store  # where changes are saved (None: nowhere)
        self._sign_in = SignIn(url, tokens, account_key or url)
        self.media = media
        self.state = AppState()
        self.state.listeners.append(lambda _before, _after: self._emit(Change.PHASE))
        self.listeners: list[Listener] = []
        self.client: RoomClient | None = None
        self.link: VoiceLink | None = None
        self.room_audio: RoomAudio | None = None
        self.rooms: list[RoomSummary] = []
        self.speaking: dict[int, float] = {}
        self._ptt = PttSync(
            scheduler or _LoopScheduler(),
            PttMode(self.settings.ptt_mode),
            self.settings.ptt_tail_ms,
            route=self,
            talk=self.talk,
            spawn=self._spawn,
            changed=lambda: self._emit(Change.PTT),
            refused=lambda code: self._notice("error", code),
            failed=self._error,
        )
        self._unfollow: Unsubscribe | None = None
        self._leaving: asyncio.Task[Any] | None = None
        self._room_dirty = False  # a ROOM change is due (coalesced per loop turn)
        self._voice_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._notices = RoomNotices(self._notice, lambda said: self._emit(Change.REACTION, said))
        # Scheduled rooms (the directory's Upcoming section, reminders).
        self.upcoming = UpcomingRooms(lambda: self._emit(Change.ROOMS))
        # Replays (the directory's Replays section) and the one playing.
        self.replays = ReplayShelf(audio, lambda: self._emit(Change.ROOMS))
        # Per-speaker volume (the stage's context menu), sent with the live link.
        self.volumes = SpeakerVolumes(
            self.settings,
            lambda volumes: self._require_client().request(SetSpeakerVolumes(volumes=volumes)),
            self._spawn,
            self._error,
        )

    # -- views -------------------------------------------------------------------

    @property
    def phase(self) -> Phase:
        return self.state.phase

    @property
    def model(self) -> RoomModel | None:
        if self.client is None or self.phase not in (Phase.IN_ROOM, Phase.RECONNECTING):
            return None
        return self.client.model

    @property
    def ptt(self) -> PttMachine:
        """What the person wants of push-to-talk (held, latched, in the tail)."""
        return self._ptt.machine

    @property
    def ptt_acked(self) -> bool:
        """What the server has confirmed of push-to-talk (its ok to our request)."""
        return self._ptt.acked

    @property
    def user_id(self) -> int:
        return self.client.user_id if self.client is not None else 0

    @property
    def username(self) -> str:
        return self.client.username if self.client is not None else ""

    def me(self) -> MemberView | None:
        model = self.model
        return model.members.get(self.user_id) if model is not None else None

    @property
    def on_stage(self) -> bool:
        me = self.me()
        return me is not None and me.role in STAGE_ROLES

    @property
    def broadcast(self) -> bool:
        """Listening to the room's broadcast (HLS, a few seconds behind)."""
        return self.room_audio is not None and self.room_audio.tier is Tier.BROADCAST

    @property
    def media_stalled(self) -> bool:
        """The room's live audio stopped reaching our node (its edge relay
        said so) and has not come back yet: the window and the tray say so."""
        client = self.client
        return (
            self.phase is Phase.IN_ROOM
            and client is not None
            and client.media_stalled
            and not self.broadcast
        )

    def may(self, action: Action) -> bool:
        """Whether the server lets us take `action` in our room now (what it pushed)."""
        model = self.model
        return self.phase is Phase.IN_ROOM and model is not None and model.may(action)

    @property
    def can_talk(self) -> bool:
        return may_talk(self.talk())

    def talk(self) -> Talk:
        """Whether I am heard (talk.py): what every view of push-to-talk shows."""
        model = self.model
        waiting = model is not None and model.waiting_for_floor()
        return talk_state(self.phase is Phase.IN_ROOM, self.me(), self.ptt.live, waiting)

    @property
    def server_label(self) -> str:
        return urlsplit(self.url).netloc or self.url

    def status(self) -> dict[str, object]:
        """What `panggung status` prints."""
        model = self.model
        me = self.me()
        return {
            "phase": self.phase.value,
            "server": self.url,
            "user": self.username or None,
            "room_id": model.room_id if model else None,
            "room_title": model.snapshot.title if model else None,
            "role": me.role.value if me else None,
            "ptt_mode": self.ptt.mode.value,
            "ptt_live": self.ptt.live,
            "talk": self.talk().value,
            "heard": self.talk() is Talk.LIVE,
            "ptt_acked": self.ptt_acked,
            "sending": bool(self.link and self.link.peer and self.link.peer.sending),
            "audio_tier": self.room_audio.tier.value if self.room_audio else None,
            "audio_stalled": self.media_stalled,
            "playback_muted": self.audio.playback_muted,
            "keyring": self.tokens.persistent,
        }

    # -- sign-in -----------------------------------------------------------------

    async def sign_in(self, username: str, password: str, register: bool = False) -> bool:
        self.state.move(Phase.SIGNING_IN)
        try:
            client = await self._sign_in.with_password(username, password, register)
        except Exception as exc:
            return self._sign_in_failed(exc)
        return self._signed_in(client)

    async def resume_saved(self) -> bool:
        """Sign in with the token in the keyring, if there is one and it still works."""
        token = self._sign_in.saved_token(self.settings.username)
        if token is None:
            return False
        self.state.move(Phase.SIGNING_IN)
        try:
            client = await self._sign_in.with_token(self.settings.username, token)
        except Exception as exc:
            return self._sign_in_failed(exc)
        return self._signed_in(client)

    async def sign_out(self) -> None:
        client = self.client
        if client is None:
            return
        if self.phase is Phase.IN_ROOM:
            await self.leave()
        await self._sign_in.sign_out(client)
        await self._drop_client()
        self.state.move(Phase.SIGNED_OUT)

    def _signed_in(self, client: RoomClient) -> bool:
        self.client = client
        self.settings.username = client.username
        self.save_settings()
        self.state.move(Phase.DIRECTORY)
        self._unfollow = client.changes.subscribe(self._on_change)
        self._spawn(self.refresh_rooms())
        return True

    def _sign_in_failed(self, exc: Exception) -> bool:
        self.state.move(Phase.SIGNED_OUT)
        self._error(exc)
        return False

    # -- the directory -------------------------------------------------------------

    async def refresh_rooms(self) -> list[RoomSummary]:
        client = self.client
        if client is None or self.phase is Phase.SIGNED_OUT:
            return []
        try:
            listed = await client.conn.call_for(ListRooms(), RoomList)
        except Exception as exc:
            log.info("listing rooms failed: %r", exc)
            return self.rooms
        self.rooms = listed.rooms
        self._emit(Change.ROOMS)
        try:
            await self.upcoming.refresh(client)
        except Exception as exc:  # an older server, a dropped link: the live rooms stand
            log.info("listing upcoming rooms failed: %r", exc)
        try:
            await self.replays.refresh(client)
        except Exception as exc:  # likewise
            log.info("listing replays failed: %r", exc)
        return self.rooms

    async def scheduling(self, work: Callable[[RoomClient], Awaitable[object]]) -> bool:
        """A scheduled-room action (`self.upcoming`'s); a refusal becomes a notice."""
        try:
            await work(self._require_client())
        except Exception as exc:
            self._error(exc)
            return False
        return True

    async def start_scheduled(self, schedule_id: str) -> bool:
        """Start now: host the scheduled room, with the invited in place."""
        client = self._require_client()
        try:
            await client.start_scheduled(schedule_id)
        except Exception as exc:
            self._error(exc)
            return False
        self._entered(client)
        return True

    async def create_room(self, title: str, topic: str = "", invite_only: bool = False) -> bool:
        client = self._require_client()
        try:
            await client.create_room(title, topic, invite_only)
        except Exception as exc:
            self._error(exc)
            return False
        self._entered(client)
        return True

    async def join(self, room_id: str, invite_code: str | None = None) -> bool:
        client = self._require_client()
        try:
            await client.join(room_id, invite_code)
        except Exception as exc:
            self._error(exc)
            return False
        self._entered(client)
        return True

    async def join_link(self, text: str) -> bool:
        try:
            link = parse_link(text)
        except ValueError as exc:
            self._notice("error", "not_a_link", detail=str(exc))
            return False
        ours = self.server_label
        if link.server != ours:
            self._notice("error", "other_server", link_server=link.server, server=ours)
            return False
        return await self.join(link.room_id, link.invite_code)

    def _entered(self, client: RoomClient) -> None:
        self.speaking = {}
        replay = self.replays.drop()  # the room takes the device over
        if replay is not None:
            self._spawn(asyncio.to_thread(replay.close))
        self.state.move(Phase.IN_ROOM)
        self._emit(Change.ROOM)
        if self.media:
            link = self.link = VoiceLink(client, self.audio.capture, frames=self.audio.frames)
            self.room_audio = RoomAudio(client, link, self.audio, self._tier_changed)
            self._voice_task = self._spawn(self._start_voice(self.room_audio))

    def _tier_changed(self) -> None:
        self._sync_volumes()
        self._emit(Change.ROOM)

    def _sync_volumes(self) -> None:
        live = self.room_audio is not None and self.room_audio.tier is Tier.LIVE
        self.volumes.room(self.model, live)

    async def _start_voice(self, room_audio: RoomAudio) -> None:
        try:
            await room_audio.start()
        except Exception as exc:
            log.warning("audio link failed: %r", exc)
            self._notice("error", "audio_failed", room=self._room_title(), detail=explain(exc))

    # -- in the room ---------------------------------------------------------------

    async def act(self, request: Request) -> bool:
        """Send a room request; a refusal becomes an error notice."""
        if isinstance(request, AcceptInvite) and self.room_audio is not None:
            await self.room_audio.live()  # from the broadcast: hear the live room first
        try:
            await self._require_client().request(request)
        except Exception as exc:
            self._error(exc)
            return False
        return True

    async def list_audience(
        self, after: str | None = None, prefix: str = "", limit: int = 50
    ) -> AudiencePage | None:
        """A page of the room's listeners (moderators); None when refused."""
        client = self.client
        if client is None or self.phase is not Phase.IN_ROOM:
            return None
        try:
            return await client.list_audience(after, prefix, limit)
        except Exception as exc:
            self._error(exc)
            return None

    async def list_bans(self) -> BanList | None:
        """The room's bans (moderators); None when refused (the notice says why)."""
        client = self.client
        if client is None or self.phase is not Phase.IN_ROOM:
            return None
        try:
            return await client.list_bans()
        except Exception as exc:
            self._error(exc)
            return None

    async def create_invite(self) -> str | None:
        """A new invite link to this room (moderators); None when refused."""
        try:
            reply = await self._require_client().conn.call_for(CreateInvite(), InviteCreated)
        except Exception as exc:
            self._error(exc)
            return None
        return reply.link

    async def leave(self) -> None:
        client = self.client
        if client is None or self.phase is not Phase.IN_ROOM:
            return
        self._ptt.stop()
        with contextlib.suppress(Exception):
            await client.request(LeaveRoom())
        await self._left_room()
        self.state.move(Phase.DIRECTORY)
        self._spawn(self.refresh_rooms())

    async def _left_room(self) -> None:
        self._ptt.forget()
        self.volumes.forget()
        if self.client is not None:
            # Forget the room, so that a reconnect does not join it again.
            self.client.model = None
        self.speaking = {}
        link, self.link = self.link, None
        room_audio, self.room_audio = self.room_audio, None
        if self._voice_task is not None:
            self._voice_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._voice_task
            self._voice_task = None
        await self.audio.stop()
        if room_audio is not None:
            await room_audio.close()
        if link is not None:
            await link.close()
        self._emit(Change.ROOM)

    # -- recordings ----------------------------------------------------------------

    async def list_recordings(self) -> list[RecordingInfo]:
        """The recordings this user may download, newest first. Raises only
        RecordingError (its `problem` says what to tell the user)."""
        return await recordings.fetch_list(self._signed_in_client())

    async def download_recording(
        self, recording_id: int, to: Path, progress: Callable[[int], None] | None = None
    ) -> int:
        """Save recording `recording_id` to `to` (bytes written). Raises only
        RecordingError; a failed download leaves nothing at `to`."""
        return await recordings.download(self._signed_in_client(), recording_id, to, progress)

    async def play_replay(self, recording_id: int) -> bool:
        """Play a replay on the device (not while in a room); a refusal becomes a notice."""
        if self.phase is Phase.IN_ROOM:
            return False
        try:
            await self.replays.play(self._signed_in_client(), recording_id)
        except Exception as exc:
            self._error(exc)
            return False
        return True

    async def choose_replay(self, recording_id: int, choice: ReplayChoice) -> bool:
        """The host: public, private, or deleted; a refusal becomes a notice."""
        try:
            await self.replays.choose(self._signed_in_client(), recording_id, choice)
        except Exception as exc:
            self._error(exc)
            return False
        return True

    def _signed_in_client(self) -> RoomClient:
        client = self.client
        if client is None or self.phase is Phase.SIGNED_OUT:
            raise recordings.RecordingError(recordings.Problem.NOT_SIGNED_IN, "not signed in")
        return client

    # -- push-to-talk --------------------------------------------------------------

    def ptt_press(self, source: PttSource = PttSource.KEY) -> None:
        self._ptt.press(source)

    def ptt_release(self, source: PttSource = PttSource.KEY) -> None:
        self._ptt.release(source)

    def ptt_toggle(self) -> None:
        self._ptt.toggle()

    async def ptt_settled(self, timeout: float = 10.0) -> None:
        """Wait out a release tail, then the server's answer to the last change."""
        await self._ptt.settled(timeout)

    def set_ptt_mode(self, mode: PttMode) -> None:
        self.ptt.set_mode(mode)
        self.settings.ptt_mode = mode.value
        self.save_settings()
        self._emit(Change.PTT)

    def set_ptt_tail(self, tail_ms: int) -> None:
        self.ptt.set_tail_ms(tail_ms)
        self.settings.ptt_tail_ms = self.ptt.tail_ms
        self.save_settings()

    async def send_ptt(self, pressed: bool) -> bool:
        """PttRoute: through the voice link (it opens the microphone with the
        grant), or straight to the room without media."""
        client = self.client
        if client is None:
            return False
        if self.link is not None:
            await (self.link.press() if pressed else self.link.release())
        else:
            await client.request(PushToTalk(pressed=pressed))
        return True

    # -- following the room --------------------------------------------------------

    def _on_event(self, event: AnyRoomEvent) -> None:
        if isinstance(event, MemberUpdated) and event.member.user_id == self.user_id:
            self._ptt.stop_unless_allowed()  # muted or off the stage
        self._notices.event(self.client.model if self.client else None, self.user_id, event)

    def _room_title(self) -> str:
        model = self.client.model if self.client is not None else None
        return model.snapshot.title if model is not None else ""

    def _on_change(self, change: ClientChange) -> None:
        client = self.client
        if client is None:
            return
        match change:
            case EventApplied(event=event):
                self._on_event(event)
                self._room_changed()
            case RoomReset() | AudienceCounted() | ActionsAllowed() | KickedOut() | MediaStall():
                self._room_changed()
            case ReactionBurst(burst=burst):
                self._notices.reactions(burst)
            case ScheduleNoticed(notice=said):
                code, params = self.upcoming.said(said)
                self._notice("reminder", code, **params)
                self._spawn(self.refresh_rooms())
            case SpeakingLevels(levels=levels):
                if self.phase is Phase.IN_ROOM and levels != self.speaking:
                    self.speaking = dict(levels)
                    self._emit(Change.SPEAKING)
            case LinkDown():
                if self.phase in (Phase.DIRECTORY, Phase.IN_ROOM):
                    self._ptt.stop()
                    self.state.move(Phase.RECONNECTING)
            case LinkUp():
                self.volumes.forget()  # the server may have dropped our audio
                if self.phase is Phase.RECONNECTING:
                    model = client.model
                    if model is not None and model.live and client.kicked is None:
                        self.state.move(Phase.IN_ROOM)
                        self._room_changed()
                    else:
                        self._leave_to_directory()

    def _room_changed(self) -> None:
        """Report the room once per loop turn, however many changes came in it."""
        if self._room_dirty:
            return
        self._room_dirty = True
        try:
            asyncio.get_running_loop().call_soon(self._report_room)
        except RuntimeError:  # no loop: shutting down
            self._room_dirty = False

    def _report_room(self) -> None:
        self._room_dirty = False
        client = self.client
        model = client.model if client is not None else None
        if client is None or model is None or self.phase is not Phase.IN_ROOM:
            return
        if client.kicked is not None or not model.live:
            self._notices.kicked(client.kicked, model.snapshot.title)
            self._leave_to_directory()
            return
        self._ptt.stop_unless_allowed()
        me = self.me()
        if self.room_audio is not None and me is not None and (me.invited or self.on_stage):
            self.room_audio.want_live()
        self._sync_volumes()
        self._emit(Change.ROOM)

    def _leave_to_directory(self) -> None:
        """Out of the room (kicked, ended, gone while we were away): once."""
        if self._leaving is not None and not self._leaving.done():
            return
        self._leaving = self._spawn(self._back_to_directory())

    async def _back_to_directory(self) -> None:
        await self._left_room()
        self.state.move(Phase.DIRECTORY)
        self._spawn(self.refresh_rooms())

    # -- plumbing --------------------------------------------------------------------

    def save_settings(self) -> None:
        if self._store is not None:
            try:
                self._store.save(self.settings)
            except OSError as exc:
                log.warning("cannot save settings: %s", exc)

    def _require_client(self) -> RoomClient:
        if self.client is None:
            raise RuntimeError("not signed in")
        return self.client

    def _error(self, exc: BaseException) -> None:
        code, params = explain_code(exc, self.server_label)
        self._notice("error", code, **params)

    def _notice(self, kind: str, code: str, **params: str) -> None:
        said = notice(kind, code, **params)
        log.info("%s: %s", kind, said.text)
        self._emit(Change.ERROR if kind == "error" else Change.NOTICE, said)

    def _emit(self, change: Change, notice: Notice | None = None) -> None:
        for listener in list(self.listeners):
            listener(change, notice)

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> "asyncio.Task[Any] | None":
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            work.close()  # called back after the loop stopped (shutting down)
            return None
        task = loop.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _drop_client(self) -> None:
        if self._unfollow is not None:
            self._unfollow()
            self._unfollow = None
        if self.phase in (Phase.IN_ROOM, Phase.RECONNECTING):
            await self._left_room()
        client, self.client = self.client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.close()

    async def close(self) -> None:
        """Quit: leave the room quietly and close everything."""
        if self.phase is Phase.IN_ROOM:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.leave(), 5)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.replays.stop(), 5)
        await self._drop_client()
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


class _LoopScheduler:
    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        return asyncio.get_running_loop().call_later(delay, callback)
