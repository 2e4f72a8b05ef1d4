"""Voice-activity mode against a real server: real speech into the detector
presses push-to-talk, the pause after it releases it, the host sees the
badge, and under floor control the detector's press queues like a finger's."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from app.client.app_settings import JsonSettingsStore
from app.client.desktop_session import DesktopSession
from app.client.secrets import TokenStore
from app.client.talk import Talk
from app.client.voice_talk import VoiceTalker
from app.dsp import FRAME_SAMPLES, SAMPLE_RATE
from app.media.wavfile import read_audio
from app.protocol.requests import AcceptInvite, InviteToStage, PushToTalk, SetFloorControl
from app.server.app import RunningServer
from tests.client import memory_keyring
from tests.client.desktop_support import ToneAudio, until
from tests.client.real_server import PASSWORD, signed_in

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo" / "02-budi-id.opus"
Listener = Callable[[NDArray[np.int16]], None]


class Mic:
    """Stands in for the engine's listener list: the test hands it frames."""

    def __init__(self) -> None:
        self.listeners: list[Listener] = []

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def say(self, audio: NDArray[np.int16]) -> None:
        for i in range(0, len(audio) - FRAME_SAMPLES + 1, FRAME_SAMPLES):
            for listener in self.listeners:
                listener(audio[i : i + FRAME_SAMPLES])


def speech() -> NDArray[np.int16]:
    audio = read_audio(DEMO)
    start = int(np.flatnonzero(np.abs(audio) > 2000)[0])
    return audio[start : start + 2 * SAMPLE_RATE]


@pytest.fixture
async def session(server: RunningServer, tmp_path: Path) -> AsyncIterator[DesktopSession]:
    memory_keyring.install()
    made = DesktopSession(
        server.url,
        TokenStore(),
        ToneAudio(),
        JsonSettingsStore(tmp_path / "settings.json").load(),
        store=JsonSettingsStore(tmp_path / "settings.json"),
        media=False,
    )
    made.settings.voice_activity = True
    made.set_ptt_tail(0)  # the detector's hangover is the tail here
    yield made
    await made.close()


async def test_speech_presses_and_the_pause_releases_under_the_servers_rules(
    server: RunningServer, session: DesktopSession
) -> None:
    host = await signed_in(server.url, "host")
    mic = Mic()
    talker = VoiceTalker(session, mic.add_listener)
    try:
        room = await host.create_room("Voices")
        assert await session.sign_in("budi", PASSWORD, register=True)
        assert await session.join(room.room_id)
        mic.say(speech())  # a listener: nothing opens
        assert not session.ptt.live
        await host.request(InviteToStage(user_id=session.user_id))
        await until(lambda: (m := session.me()) is not None and m.invited, what="invited")
        assert await session.act(AcceptInvite())
        await until(lambda: session.on_stage, what="on stage")
        # The mode is told to the server; the host sees the badge's field.
        me = session.user_id
        await host.wait_until(lambda m: me in m.members and m.members[me].voice_activity)

        mic.say(speech())
        assert session.ptt.live
        await until(lambda: me in server.hub.talking(room.room_id), what="pressed on the server")
        mic.say(np.zeros(SAMPLE_RATE, dtype=np.int16))  # a pause past the hangover
        assert not session.ptt.live
        await until(lambda: me not in server.hub.talking(room.room_id), what="released")

        # Under floor control, with the host holding the floor, speech waits.
        await host.request(SetFloorControl(enabled=True))
        await host.request(PushToTalk(pressed=True))
        await until(lambda: (m := session.model) is not None and m.floor.holder == host.user_id)
        mic.say(speech())
        await until(lambda: session.talk() is Talk.WAITING, what="waiting for the floor")
        assert not server.hub.may_be_heard(room.room_id, me)
        mic.say(np.zeros(SAMPLE_RATE, dtype=np.int16))
        await until(lambda: session.model is not None and not session.model.floor.queue)

        # Switched off: the server is told, and speech presses nothing.
        session.settings.voice_activity = False
        session.set_ptt_mode(session.ptt.mode)  # what applying the settings does: a PTT change
        await host.wait_until(lambda m: not m.members[me].voice_activity)
        mic.say(speech())
        assert not session.ptt.live
    finally:
        talker.close()
        await host.close()
