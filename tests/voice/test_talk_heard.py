"""What the listener hears agrees with what the app shows (issue 18, point 2).

The desktop session (its microphone a steady 440 Hz) is a speaker in a real
room; the host, silent, is the ear. For each important combination of mute,
moderator mute, latch, the control socket and the tray's toggle, the tone is
in the host's audio exactly when the session says `heard`.
"""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.client.app_settings import Settings
from app.client.audio_backend import FRAME, Frame, PullAudio
from app.client.control_commands import ControlCommands
from app.client.desktop_session import DesktopSession
from app.client.ptt import PttMode
from app.client.secrets import TokenStore
from app.dsp.signals import ToneSource
from app.protocol.model import Role
from app.protocol.requests import ApproveHand, Mute, RaiseHand, SelfMute, Unmute
from app.server.app import RunningServer
from tests.client import memory_keyring
from tests.client.desktop_support import until

from .helpers import PASSWORD, Member, silent, until_heard

TONE = 440


class ToneMic(PullAudio):
    def __init__(self) -> None:
        super().__init__()
        self._tone = ToneSource(TONE)

    def capture(self) -> Frame:
        frame = self._tone.next_frame()
        assert len(frame) == FRAME
        return frame


@pytest.fixture
async def stage(
    server: RunningServer, tmp_path: Path
) -> AsyncIterator[tuple[DesktopSession, Member]]:
    memory_keyring.install()
    ear = await Member.sign_in(server.url, "host")
    session = DesktopSession(server.url, TokenStore(), ToneMic(), Settings())
    try:
        model = await ear.client.create_room("Heard")
        assert await session.sign_in("ayu", PASSWORD, register=True)
        assert await session.join(model.room_id)
        assert await session.act(RaiseHand())
        await ear.client.request(ApproveHand(user_id=session.user_id))
        await until(lambda: session.on_stage, what="on stage")
        await until(lambda: session.link is not None and session.link.connected.is_set(), 30)
        await ear.start_audio()
        yield session, ear
    finally:
        await session.close()
        await ear.close()


async def quiet(ear: Member) -> bool:
    await ear.record(0.4)  # what was already in flight
    return silent(await ear.record(1.0))


async def test_what_is_shown_is_what_is_heard(stage: tuple[DesktopSession, Member]) -> None:
    session, ear = stage
    control = ControlCommands(session)

    async def ptt(action: str) -> dict[str, object]:
        reply = await control({"cmd": "ptt", "action": action})
        status = reply["status"]
        assert isinstance(status, dict)
        return status

    # Holding the key: heard, and every view says so.
    session.ptt_press()
    await session.ptt_settled()
    assert session.status()["heard"] is True and session.status()["talk"] == "live"
    await until_heard(ear, TONE)
    session.ptt_release()
    await session.ptt_settled()
    assert session.status()["heard"] is False
    assert await quiet(ear)

    # Self-muted: holding the key neither opens the microphone nor shows live.
    assert await session.act(SelfMute(muted=True))
    await until(lambda: session.status()["talk"] == "self_muted", what="self muted")
    session.ptt_press()
    await session.ptt_settled()
    assert not session.ptt.live and session.status()["heard"] is False
    assert await quiet(ear)
    session.ptt_release()
    assert await session.act(SelfMute(muted=False))
    await until(lambda: session.status()["talk"] == "ready", what="unmuted")

    # Muting while talking closes the microphone at once.
    session.ptt_press()
    await until_heard(ear, TONE)
    assert await session.act(SelfMute(muted=True))
    await until(lambda: not session.ptt.live, what="muting stops push-to-talk")
    assert session.status()["talk"] == "self_muted"
    assert await quiet(ear)
    session.ptt_release()
    assert await session.act(SelfMute(muted=False))
    await until(lambda: session.status()["talk"] == "ready", what="unmuted")

    # Latch mode: the control socket's press/release is a pedal, release ends it.
    session.set_ptt_mode(PttMode.LATCH)
    assert (await ptt("press"))["heard"] is True
    await until_heard(ear, TONE)
    status = await ptt("release")
    assert status["heard"] is False and status["ptt_live"] is False
    assert await quiet(ear)

    # The tray's toggle (the same as `panggung ptt toggle`), window or not.
    assert (await ptt("toggle"))["heard"] is True
    await until_heard(ear, TONE)

    # A moderator's mute while live: shown as muted, and silent.
    await ear.client.request(Mute(user_id=session.user_id))
    await until(lambda: session.status()["talk"] == "mod_muted", what="moderator muted")
    assert not session.ptt.live and session.status()["heard"] is False
    assert await quiet(ear)
    assert (await ptt("toggle"))["heard"] is False  # refused, with the reason
    assert await quiet(ear)
    await ear.client.request(Unmute(user_id=session.user_id))
    await until(lambda: session.status()["talk"] == "ready", what="moderator unmuted")
    assert (await ptt("toggle"))["heard"] is True
    await until_heard(ear, TONE)
    assert session.me() is not None and session.me().role is Role.SPEAKER  # type: ignore[union-attr]
