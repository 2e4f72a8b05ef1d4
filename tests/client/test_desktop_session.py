"""The desktop session against a real server on 127.0.0.1 (no Qt)."""

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.client.app_settings import JsonSettingsStore
from app.client.app_state import Phase
from app.client.audio_backend import PullAudio
from app.client.desktop_session import Change, DesktopSession, Notice
from app.client.secrets import TokenStore
from app.protocol.model import Action, Role
from app.protocol.replies import InviteCreated
from app.protocol.requests import (
    AcceptInvite,
    ApproveHand,
    CreateInvite,
    InviteToStage,
    RaiseHand,
    Remove,
)
from app.server.app import RunningServer
from tests.client import memory_keyring
from tests.client.desktop_support import ToneAudio, until
from tests.client.real_server import PASSWORD, signed_in


@pytest.fixture
def keyring_backend() -> memory_keyring.MemoryKeyring:
    return memory_keyring.install()


class Recorder:
    def __init__(self, session: DesktopSession) -> None:
        self.changes: list[Change] = []
        self.notices: list[Notice] = []
        session.listeners.append(self.record)

    def record(self, change: Change, notice: Notice | None) -> None:
        self.changes.append(change)
        if notice is not None:
            self.notices.append(notice)

    def texts(self, kind: str) -> list[str]:
        return [n.text for n in self.notices if n.kind == kind]


@pytest.fixture
async def sessions(
    server: RunningServer, tmp_path: Path, keyring_backend: memory_keyring.MemoryKeyring
) -> AsyncIterator[list[DesktopSession]]:
    made: list[DesktopSession] = []
    yield made
    for session in made:
        await session.close()


def new_session(
    made: list[DesktopSession], url: str, tmp_path: Path, audio: PullAudio | None = None
) -> DesktopSession:
    session = DesktopSession(
        url,
        TokenStore(),
        audio or PullAudio(),
        JsonSettingsStore(tmp_path / "settings.json").load(),
        store=JsonSettingsStore(tmp_path / "settings.json"),
    )
    made.append(session)
    return session


async def test_wrong_password_and_unreachable_server_are_explained(
    server: RunningServer, sessions: list[DesktopSession], tmp_path: Path
) -> None:
    session = new_session(sessions, server.url, tmp_path)
    seen = Recorder(session)
    assert await session.sign_in("ayu", PASSWORD, register=True)
    await session.sign_out()
    assert not await session.sign_in("ayu", "not the password")
    assert session.phase is Phase.SIGNED_OUT
    assert seen.texts("error") == ["Wrong username or password."]

    nowhere = new_session(sessions, "ws://127.0.0.1:9/ws", tmp_path)
    seen = Recorder(nowhere)
    assert not await nowhere.sign_in("ayu", PASSWORD)
    assert "Cannot reach 127.0.0.1:9" in seen.texts("error")[0]


async def test_token_goes_to_the_keyring_and_resumes(
    server: RunningServer,
    sessions: list[DesktopSession],
    tmp_path: Path,
    keyring_backend: memory_keyring.MemoryKeyring,
) -> None:
    first = new_session(sessions, server.url, tmp_path)
    assert await first.sign_in("budi", PASSWORD, register=True)
    token = first.client.token if first.client else None
    assert token and list(keyring_backend.passwords.values()) == [token]
    settings_text = (tmp_path / "settings.json").read_text()
    assert token not in settings_text and json.loads(settings_text)["username"] == "budi"

    second = new_session(sessions, server.url, tmp_path)
    assert await second.resume_saved()
    assert second.phase is Phase.DIRECTORY and second.username == "budi"

    await second.sign_out()
    assert keyring_backend.passwords == {}


async def test_room_life_hands_stage_and_push_to_talk(
    server: RunningServer, sessions: list[DesktopSession], tmp_path: Path
) -> None:
    host = new_session(sessions, server.url, tmp_path, ToneAudio())
    seen = Recorder(host)
    assert await host.sign_in("host1", PASSWORD, register=True)
    assert await host.create_room("Town hall", "roads", invite_only=False)
    assert host.phase is Phase.IN_ROOM and host.may(Action.APPROVE_HAND) and host.on_stage
    model = host.model
    assert model is not None

    listener = await signed_in(server.url, "citra")
    try:
        await listener.join(model.room_id)
        await listener.request(RaiseHand())
        await until(lambda: [m.name for m in model.hand_queue()] == ["citra"], what="hand")
        assert "citra raised a hand in Town hall." in seen.texts("hand")
        assert await host.act(ApproveHand(user_id=listener.user_id))
        await until(lambda: model.role_of(listener.user_id) is Role.SPEAKER, what="approved")

        # Push-to-talk: the server confirms, and the listener hears our level.
        await until(lambda: host.link is not None and host.link.connected.is_set(), 30, "audio")
        host.ptt_press()
        await until(lambda: host.ptt_acked, what="ptt acknowledged")
        await until(lambda: listener.speaking.get(host.user_id, 0) > 0, 30, "heard")
        assert host.status()["sending"] is True
        host.ptt_release()
        await until(lambda: not host.ptt_acked, what="ptt released")
        assert host.status()["sending"] is False
        await until(lambda: host.user_id not in listener.speaking, 30, "silent")
    finally:
        await listener.close()


async def test_invitations_refusals_and_removal(
    server: RunningServer, sessions: list[DesktopSession], tmp_path: Path
) -> None:
    owner = await signed_in(server.url, "owner")
    try:
        room = await owner.create_room("Open mic")
        me = new_session(sessions, server.url, tmp_path)
        seen = Recorder(me)
        assert await me.sign_in("dewi", PASSWORD, register=True)
        await until(lambda: any(r.room_id == room.room_id for r in me.rooms), what="listed")
        assert await me.join(room.room_id)

        # A listener may not talk, and the window is told why.
        me.ptt_press()
        assert not me.ptt.live and "Only the stage talks" in seen.texts("error")[0]
        # A moderator-only action is refused with a clear message.
        assert not await me.act(Remove(user_id=owner.user_id))
        assert seen.texts("error")[-1] == "You are not allowed to do that."

        await owner.request(InviteToStage(user_id=me.user_id))
        await until(lambda: bool(seen.texts("invited")), what="invitation notice")
        # Which room, and who acted.
        assert seen.texts("invited") == ["owner invited you to the stage in Open mic."]
        assert await me.act(AcceptInvite())
        await until(lambda: me.on_stage, what="on stage")

        await owner.request(Remove(user_id=me.user_id))
        await until(lambda: me.phase is Phase.DIRECTORY, what="back in the directory")
        # A removal says so, and where: not "You left the room".
        assert seen.texts("kicked") == ["A moderator removed you from Open mic."]
        kicked = next(n for n in seen.notices if n.kind == "kicked")
        assert (kicked.code, kicked.params) == ("kicked_removed", {"room": "Open mic"})
    finally:
        await owner.close()


async def test_join_by_link(
    server: RunningServer, sessions: list[DesktopSession], tmp_path: Path
) -> None:
    owner = await signed_in(server.url, "linker")
    try:
        room = await owner.create_room("Secret", invite_only=True)
        me = new_session(sessions, server.url, tmp_path)
        seen = Recorder(me)
        assert await me.sign_in("eka", PASSWORD, register=True)
        assert not await me.join_link("https://elsewhere.example/room/abc")
        assert "for the server elsewhere.example" in seen.texts("error")[0]
        assert not await me.join_link(f"panggung://{server.host}:{server.port}/room/{room.room_id}")
        assert "invite-only" in seen.texts("error")[-1]
        invite = await owner.conn.call_for(CreateInvite(), InviteCreated)
        assert await me.join_link(invite.link)
        assert me.phase is Phase.IN_ROOM
        await me.leave()
        assert me.phase.value == "directory" and me.model is None
    finally:
        await owner.close()
