"""Floor control in the real window with real sound devices (the private
PulseAudio of tests/support/pulse.py): pressing push-to-talk while the host
holds the floor shows "waiting for the floor" and plays the busy cue through
the app's speakers; when the host lets go, the button goes LIVE and the "on"
cue says so. The stage shows the floor in the room's banner."""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.audio.virtual import VirtualPulse
from app.client.app_state import Phase
from app.client.session import RoomClient
from app.client.talk import Talk
from app.dsp.analysis import peak_frequency, tone_power_ratio
from app.protocol.requests import ApproveHand, PushToTalk, RaiseHand, SetFloorControl
from app.server.app import RunningServer
from tests.client.desktop_support import until
from tests.support import pulse as pulse_support
from tests.ui.conftest import Run
from tests.ui.test_settings_sound import App, loud_part, open_app, recorded
from tests.ui.test_sign_in import PASSWORD, sign_in

BUSY_HZ, ON_HZ = 440, (660, 990)


@pytest.fixture(scope="module")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtualPulse]:
    yield from pulse_support.daemon(tmp_path_factory)


@pytest.fixture
def apps(run: Run[Any], pulse: VirtualPulse) -> Iterator[list[App]]:
    pulse_support.reset(pulse)
    made: list[App] = []
    yield made
    for app in made:
        run(app.close())


def on_cue_ratio(audio: np.ndarray[Any, np.dtype[np.int16]]) -> float:
    return sum(tone_power_ratio(audio, hz) for hz in ON_HZ)


def test_waiting_for_the_floor_shows_and_sounds_busy_then_goes_live(
    run: Run[Any], server: RunningServer, apps: list[App], tmp_path: Path
) -> None:
    async def scenario() -> None:
        host = RoomClient(server.url, client_name="test", reconnect=False)
        await host.connect()
        await host.register("host", PASSWORD)
        try:
            await waiting_then_live(host)
        finally:
            await asyncio.wait_for(host.close(), 10)

    async def waiting_then_live(host: RoomClient) -> None:
        app = await open_app(apps, tmp_path, url=server.url)
        window, session = app.window, app.session
        session.ptt.set_tail_ms(0)
        model = await host.create_room("One at a time")
        await host.request(SetFloorControl(enabled=True))
        sign_in(app.shell, "ayu", PASSWORD, register=True)
        await until(lambda: session.phase is Phase.DIRECTORY, what="signed in")
        assert await session.join(model.room_id)
        await session.act(RaiseHand())
        await host.request(ApproveHand(user_id=session.user_id))
        await until(lambda: session.on_stage, what="on stage")
        await until(lambda: session.link is not None and session.link.connected.is_set(), 30)
        await host.request(PushToTalk(pressed=True))
        await until(
            lambda: session.model is not None and session.model.floor.holder == host.user_id
        )
        room = window.room
        window.activateWindow()
        await until(lambda: window.isActiveWindow(), what="window active")

        async def press() -> None:
            QTest.keyPress(window, Qt.Key.Key_Space)
            await until(lambda: session.talk() is Talk.WAITING, what="waiting")

        busy = loud_part(await recorded(tmp_path / "busy.raw", press))
        assert room.ptt.text().startswith("⏳ Waiting for the floor")
        assert room.ptt.isEnabled()  # held: it must let go when released
        assert "1 waiting" in room.banner.text()
        # The busy cue (flat 440 Hz beeps) is what the speakers played last: the
        # press's "on" may sound before it, more of it on a slow machine.
        assert len(busy) > 0.1 * 48_000 and tone_power_ratio(busy, BUSY_HZ) > 0.2
        assert abs(peak_frequency(busy[-round(0.05 * 48_000) :]) - BUSY_HZ) < 15

        async def hand_over() -> None:
            await host.request(PushToTalk(pressed=False))
            await until(lambda: session.talk() is Talk.LIVE, what="live after the handover")

        granted = loud_part(await recorded(tmp_path / "granted.raw", hand_over))
        assert room.ptt.text().startswith("● LIVE")
        assert on_cue_ratio(granted) > 0.5 and tone_power_ratio(granted, BUSY_HZ) < 0.1
        await until(lambda: "ayu has the floor" in room.banner.text(), what="banner follows")
        QTest.keyRelease(window, Qt.Key.Key_Space)
        await until(lambda: session.model is not None and session.model.floor.holder is None)

    run(scenario())
