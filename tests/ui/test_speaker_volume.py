"""Per-speaker volume in the real window (#18 point 12): the stage grid's
context menu opens a 0-200 % slider for a speaker, what the listener's
speakers play follows it (frequency and level of two speakers' tones), the
value is remembered by name in the settings, and reset brings 100 % back."""

import asyncio
import json
import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.client.app_state import Phase
from app.client.audio_backend import Frame, PullAudio
from app.dsp.analysis import rms_dbfs, tone_power_ratio
from app.dsp.signals import ToneSource
from app.protocol.requests import AcceptInvite, InviteToStage
from app.server.app import RunningServer, ServerConfig, start_server
from app.ui.people_model import NAME
from app.ui.shell import DesktopShell
from tests.client.desktop_support import until
from tests.ui.conftest import Run
from tests.ui.test_sign_in import PASSWORD, sign_in
from tests.voice.helpers import Member

HOST_HZ, GUEST_HZ = 440, 660


class EarAudio(PullAudio):
    """A sound card that keeps what the app plays."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[Frame] = []

    async def start(self, playback: Callable[[], Frame]) -> None:
        def keep() -> Frame:
            frame = playback()
            self.heard.append(frame)
            return frame

        await super().start(keep)


async def record(ear: EarAudio, seconds: float, settle: float = 0.5) -> NDArray[np.int16]:
    """What the app played over `seconds`, after `settle` s for what was in flight."""
    start = len(ear.heard)
    await until(lambda: len(ear.heard) - start >= settle / 0.02, timeout=30, what="settle")
    mark = len(ear.heard)
    await until(lambda: len(ear.heard) - mark >= seconds / 0.02, timeout=60, what="audio")
    return np.concatenate(ear.heard[mark:])


def guest_to_host_db(audio: NDArray[np.int16]) -> float:
    guest = max(tone_power_ratio(audio, GUEST_HZ), 1e-9)
    return 10 * math.log10(guest / max(tone_power_ratio(audio, HOST_HZ), 1e-9))


async def until_played(
    ear: EarAudio, ok: Callable[[NDArray[np.int16]], bool], timeout: float = 30.0
) -> NDArray[np.int16]:
    """Seconds of what the app plays, again until `ok` holds of one (a change
    reaches the ear after a request, a mix and a playout buffer; the machine
    is busy), at most `timeout`; the last one fails the test."""
    deadline = time.monotonic() + timeout
    while True:
        audio = await record(ear, 1.0, settle=0.0)
        if ok(audio):
            return audio
        if time.monotonic() > deadline:
            raise AssertionError(f"not heard in {timeout} s: {guest_to_host_db(audio):.1f} dB")


@pytest.fixture
def media_server(run: Run[Any], tmp_path: Path) -> Iterator[RunningServer]:
    config = ServerConfig(
        db_url=f"sqlite:///{tmp_path / 'db.sqlite'}", host="127.0.0.1", port=0, media=True
    )
    running: RunningServer = run(start_server(config))
    yield running
    run(running.stop())


def test_a_listener_turns_one_speaker_down_and_up_from_the_stage_grid(
    run: Run[Any],
    qloop: asyncio.AbstractEventLoop,
    media_server: RunningServer,
    shells: Callable[..., DesktopShell],
    tmp_path: Path,
) -> None:
    ear = EarAudio()
    shell = shells(media_server.url, ear, name="listener")
    window, session = shell.window, shell.session
    view = window.room.stage.people
    members: list[Member] = []

    async def scenario() -> None:
        host = await Member.sign_in(media_server.url, "ayu", ToneSource(HOST_HZ).next_frame)
        guest = await Member.sign_in(media_server.url, "budi", ToneSource(GUEST_HZ).next_frame)
        members.extend([host, guest])
        model = await host.client.create_room("Two voices")
        await guest.client.join(model.room_id)
        await host.client.request(InviteToStage(user_id=guest.user_id))
        await guest.client.request(AcceptInvite())
        for m in members:
            await m.start_audio()
            await m.link.press()

        sign_in(shell, "citra", PASSWORD, register=True)
        await until(lambda: session.phase is Phase.DIRECTORY, timeout=60, what="signed in")
        assert await session.join(model.room_id)
        await until(lambda: view.model().rowCount() == 2, timeout=60, what="the stage shown")
        await until(lambda: len(ear.heard) > 0, timeout=60, what="the room playing")
        # Both at the same level, as they send (the same amplitude): about 0 dB.
        await until_played(ear, lambda a: rms_dbfs(a) > -40 and abs(guest_to_host_db(a)) < 1.5)

        # Right click on budi's avatar: the menu offers his volume.
        row = next(r for r in range(2) if view.model().index(r, 0).data(NAME) == "budi")
        centre = view.visualRect(view.model().index(row, 0)).center()
        QApplication.sendEvent(
            view.viewport(),
            QContextMenuEvent(QContextMenuEvent.Reason.Mouse, centre, view.mapToGlobal(centre)),
        )
        menu = window.room.stage_volume.menu
        assert menu is not None
        volume, reset = menu.actions()
        assert volume.text() == "&Volume… (100 %)" and not reset.isEnabled()
        volume.trigger()
        dialog = window.room.stage_volume.dialogs["budi"]
        assert dialog.isVisible() and dialog.slider.value() == 100
        assert not dialog.reset.isEnabled()

        # 0 %: only ayu is heard.
        QTest.keyClick(dialog.slider, Qt.Key.Key_Home)
        assert dialog.slider.value() == 0 and dialog.value.text() == "0 %"
        alone = await until_played(ear, lambda a: tone_power_ratio(a, GUEST_HZ) < 0.01)
        assert tone_power_ratio(alone, HOST_HZ) > 0.5

        # 200 %: budi twice as loud (+6 dB against ayu).
        QTest.keyClick(dialog.slider, Qt.Key.Key_End)
        assert dialog.slider.value() == 200
        # Twice the amplitude: +6 dB against ayu (Opus keeps it within a dB).
        await until_played(ear, lambda a: 5.0 < guest_to_host_db(a) < 7.0)

        # Closing saves it, by name; the menu shows it and can reset it.
        dialog.close()
        saved = json.loads((tmp_path / "listener" / "settings.json").read_text())
        assert saved["speaker_volumes"] == "budi=200"
        QApplication.sendEvent(
            view.viewport(),
            QContextMenuEvent(QContextMenuEvent.Reason.Mouse, centre, view.mapToGlobal(centre)),
        )
        menu = window.room.stage_volume.menu
        assert menu is not None
        volume, reset = menu.actions()
        assert volume.text() == "&Volume… (200 %)" and reset.isEnabled()
        reset.trigger()
        assert session.settings.speaker_volumes == ""
        await until_played(ear, lambda a: abs(guest_to_host_db(a)) < 1.5)
        saved = json.loads((tmp_path / "listener" / "settings.json").read_text())
        assert saved["speaker_volumes"] == ""

    try:  # longer than `run` allows: a dozen waits for audio on a busy machine
        qloop.run_until_complete(asyncio.wait_for(scenario(), 300))
    finally:
        for m in members:
            run(m.close())


def test_no_volume_for_yourself_or_an_empty_spot(
    run: Run[Any],
    media_server: RunningServer,
    shells: Callable[..., DesktopShell],
) -> None:
    shell = shells(media_server.url, PullAudio(), name="host")
    window, session = shell.window, shell.session
    view = window.room.stage.people

    async def scenario() -> None:
        sign_in(shell, "ayu", PASSWORD, register=True)
        await until(lambda: session.phase is Phase.DIRECTORY, timeout=60, what="signed in")
        assert await session.create_room("Alone")
        await until(lambda: view.model().rowCount() == 1, what="the stage shown")
        centre = view.visualRect(view.model().index(0, 0)).center()
        for pos in (centre, QPoint(view.viewport().width() - 2, view.viewport().height() - 2)):
            QApplication.sendEvent(
                view.viewport(),
                QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, view.mapToGlobal(pos)),
            )
            assert window.room.stage_volume.menu is None

    run(scenario())
