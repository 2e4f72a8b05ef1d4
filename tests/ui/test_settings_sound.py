"""The settings dialog and the push-to-talk cues on real sound devices: a
private PulseAudio daemon (tests/support/pulse.py) with a virtual microphone
fed by paplay and virtual speakers recorded by parec."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.audio.prefs import DevicePreferences
from app.audio.virtual import VirtualPulse
from app.client.app_settings import JsonSettingsStore
from app.client.desktop_session import DesktopSession
from app.client.device_audio import DeviceAudio
from app.client.secrets import TokenStore
from app.client.session import RoomClient
from app.dsp.analysis import peak_frequency, rms_dbfs
from app.dsp.signals import to_int16, tone
from app.media.wavfile import write_wav
from app.server.app import RunningServer
from app.ui.shell import DesktopShell
from app.ui.sound import SettingsHook, attach_sound
from tests.client.desktop_support import until
from tests.support import pulse as pulse_support
from tests.support.pulse import Parec, play
from tests.ui.conftest import Run
from tests.ui.test_sign_in import PASSWORD

NOWHERE = "ws://127.0.0.1:9/ws"  # these tests need no room server


@pytest.fixture(scope="module")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtualPulse]:
    yield from pulse_support.daemon(tmp_path_factory)


@pytest.fixture
def sound(pulse: VirtualPulse) -> VirtualPulse:
    pulse_support.reset(pulse)
    return pulse


class App:
    """What desktop_main builds, minus the server: devices, session, window."""

    def __init__(self, audio: DeviceAudio, path: Path, url: str = NOWHERE) -> None:
        self.audio = audio
        self.session = DesktopSession(
            url,
            TokenStore(),
            audio,
            JsonSettingsStore(path).load(),
            store=JsonSettingsStore(path),
        )
        self.shell = DesktopShell(self.session, use_tray=False)
        self.window = self.shell.window
        self.cues = attach_sound(self.window, self.session, audio)
        self.hook = SettingsHook(self.window, self.shell.controller, audio)
        self.shell.show()

    async def close(self) -> None:
        if self.cues is not None:
            self.cues.close()
        await self.session.close()
        await self.audio.close()
        self.shell.close()


@pytest.fixture
def apps(run: Run[Any], tmp_path: Path) -> Iterator[list[App]]:
    made: list[App] = []
    yield made
    for app in made:
        run(app.close())


async def open_app(
    apps: list[App], tmp_path: Path, prefs: DevicePreferences | None = None, url: str = NOWHERE
) -> App:
    audio = DeviceAudio(prefs)
    assert await audio.open(), "the virtual devices did not open"
    app = App(audio, tmp_path / "settings.json", url)
    apps.append(app)
    return app


def tone_wav(path: Path, freq: float, seconds: float) -> Path:
    write_wav(path, to_int16(tone(freq, round(48_000 * seconds), amplitude=0.3)))
    return path


def test_dialog_lists_the_devices_and_the_meter_moves(
    run: Run[Any], sound: VirtualPulse, apps: list[App], tmp_path: Path
) -> None:
    async def scenario() -> None:
        app = await open_app(apps, tmp_path)
        assert app.audio.device_name("input") is None  # a listener's microphone stays closed
        app.window.settings_action.trigger()
        dialog = app.hook.dialog
        assert dialog is not None
        await until(lambda: len(dialog.device_names("input")) > 0, 30, "devices listed")
        assert {"default", "pulse", "headset"} <= set(dialog.device_names("input"))
        assert {"default", "pulse", "headphones"} <= set(dialog.device_names("output"))
        # The sound server's own devices, by the names it gives them (issue 18, point 9).
        assert "pulse:vmic" in dialog.device_names("input")
        spk = dialog.output.findData("pulse:spk")
        assert spk > 0 and dialog.output.itemText(spk) not in ("", "pulse:spk", "spk")
        assert "pulse:spk.monitor" not in dialog.device_names("input")
        assert not dialog.no_devices.isVisibleTo(dialog)
        await until(lambda: app.audio.engine.frames.received > 10, 30, "capturing")
        await asyncio.sleep(0.3)
        assert dialog.level.value() < 10  # nothing plays into the microphone yet
        player = play(tone_wav(tmp_path / "440.wav", 440, 6))
        try:
            await until(lambda: dialog.level.value() > 50, 30, "the meter moves")
        finally:
            player.terminate()
            await asyncio.to_thread(player.wait, 10)
        await until(lambda: dialog.level.value() < 10, 30, "the meter falls back")
        dialog.hear_yourself.setChecked(True)
        assert app.audio.monitoring
        dialog.reject()
        assert not app.audio.monitoring  # the mic test ends with the dialog
        await until(lambda: app.audio.device_name("input") is None, 30, "microphone closed")

    run(scenario())


def test_a_lost_microphone_is_told_in_the_window(
    run: Run[Any], sound: VirtualPulse, apps: list[App], tmp_path: Path
) -> None:
    async def scenario() -> None:
        headset = pulse_support.plug_headset(sound)
        app = await open_app(apps, tmp_path, DevicePreferences(input="headset"))
        await app.audio.want_capture("stage", True)
        assert app.audio.device_name("input") == "headset"
        sound.unload(headset)
        await until(lambda: "headset" in app.window.message.text(), 30, "device message")
        text = app.window.message.text()
        assert text.startswith("Microphone 'headset' was disconnected; using "), text
        assert app.audio.device_name("input") not in (None, "headset")

    run(scenario())


async def recorded(
    path: Path, during: Callable[[], Awaitable[None]]
) -> np.ndarray[Any, np.dtype[np.int16]]:
    rec = Parec(path)
    try:
        await rec.ready()
        await asyncio.sleep(0.3)
        await during()
        await asyncio.sleep(1.0)
    finally:
        heard = rec.stop()
    return heard


def loud_part(heard: np.ndarray[Any, np.dtype[np.int16]]) -> np.ndarray[Any, np.dtype[np.int16]]:
    frames = heard[: len(heard) // 480 * 480].reshape(-1, 480)  # 10 ms
    loud = [f for f in frames if rms_dbfs(f) > -35]
    return np.concatenate(loud) if loud else np.zeros(0, dtype=np.int16)


def test_cues_reach_the_speakers_and_can_be_turned_off(
    run: Run[Any], sound: VirtualPulse, apps: list[App], tmp_path: Path
) -> None:
    async def scenario() -> None:
        app = await open_app(apps, tmp_path)
        ptt = app.session.ptt
        ptt.set_tail_ms(0)

        async def press_and_release() -> None:
            ptt.press()
            await asyncio.sleep(0.5)
            ptt.release()

        heard = await recorded(tmp_path / "cues.raw", press_and_release)
        loud = loud_part(heard)
        # Two cues of two 60 ms notes each: about 240 ms of tone, at 660 and 990 Hz.
        assert 0.15 < len(loud) / 48_000 < 0.4, len(loud) / 48_000
        low = peak_frequency(loud)
        assert min(abs(low - 660), abs(low - 990)) < 15, low
        assert rms_dbfs(loud) > -25

        app.audio.cues_enabled = False
        heard = await recorded(tmp_path / "quiet.raw", press_and_release)
        assert len(loud_part(heard)) == 0

    run(scenario())


def test_chosen_devices_are_used_and_remembered_by_name(
    run: Run[Any], sound: VirtualPulse, apps: list[App], tmp_path: Path
) -> None:
    async def scenario() -> None:
        pulse_support.plug_headphones(sound)
        app = await open_app(apps, tmp_path)
        app.window.settings_action.trigger()
        dialog = app.hook.dialog
        assert dialog is not None
        await until(lambda: "headphones" in dialog.device_names("output"), 30, "listed")
        dialog.output.setCurrentIndex(dialog.output.findData("headphones"))
        dialog.volume.setValue(60)
        dialog.accept()
        await until(lambda: app.hook.applied is not None, what="applying")
        assert app.hook.applied is not None
        await app.hook.applied
        assert app.audio.device_name("output") == "headphones"
        assert app.audio.volume == 0.6
        saved = JsonSettingsStore(tmp_path / "settings.json").load()
        assert (saved.output_device, saved.input_device, saved.output_volume) == (
            "headphones",
            None,
            60,
        )

    run(scenario())


def test_on_stage_the_microphone_reaches_the_room(
    run: Run[Any], sound: VirtualPulse, server: RunningServer, apps: list[App], tmp_path: Path
) -> None:
    async def scenario() -> None:
        app = await open_app(apps, tmp_path, url=server.url)
        session = app.session
        assert await session.sign_in("mic", PASSWORD, register=True)
        assert app.audio.device_name("input") is None  # in the directory: closed
        assert await session.create_room("Live mic")
        await until(lambda: app.audio.device_name("input") is not None, 30, "mic opens on stage")
        model = session.model
        assert model is not None
        guest = RoomClient(server.url, client_name="test", reconnect=False)
        await guest.connect()
        await guest.register("ear", PASSWORD)
        player = play(tone_wav(tmp_path / "440.wav", 440, 30))
        try:
            await guest.join(model.room_id)
            await until(lambda: session.link is not None and session.link.connected.is_set(), 30)
            assert session.status()["sending"] is False
            session.ptt_press()
            await until(lambda: session.ptt_acked, 30, "talking")
            await until(lambda: guest.speaking.get(session.user_id, 0) > 0, 30, "the room hears")
            session.ptt_release()
            await session.ptt_settled()
            await session.leave()
            await until(lambda: app.audio.device_name("input") is None, 30, "mic closes")
        finally:
            player.terminate()
            await asyncio.to_thread(player.wait, 10)
            await guest.close()

    run(scenario())
