"""Settings: saved (here in the Qt-free JSON store) without secrets, read back defensively, applied
to the running session (push-to-talk key, mode, tail; cues; global hotkey),
and the first-run server choice remembered."""

import asyncio
import json
import logging
from pathlib import Path

import numpy as np
import pytest

from app.client.app_settings import JsonSettingsStore, ServerMode, Settings, SettingsStore
from app.client.audio_backend import FRAME, PullAudio
from app.client.cues import CuePlayer, cue_tone
from app.client.desktop_session import DesktopSession
from app.client.device_audio import DeviceAudio
from app.client.hotkey import PttHotkey, pynput_key_name, start_global_hotkey, unavailable_reason
from app.client.preferences import SERVER_NOTE, apply_settings
from app.client.ptt import PttMode
from app.client.secrets import TokenStore
from app.client.server_choice import EMBEDDED, ServerChoice, resolve_server
from app.dsp.analysis import peak_frequency
from tests.client import memory_keyring
from tests.client.test_ptt import FakeClock


@pytest.fixture(autouse=True)
def keyring_backend() -> memory_keyring.MemoryKeyring:
    return memory_keyring.install()


def session_at(path: Path, clock: FakeClock | None = None) -> DesktopSession:
    return DesktopSession(
        "ws://127.0.0.1:1/ws",
        TokenStore(),
        PullAudio(),
        JsonSettingsStore(path).load(),
        store=JsonSettingsStore(path),
        scheduler=clock or FakeClock(),
    )


def test_every_setting_round_trips_and_no_token_is_written(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    chosen = Settings(
        username="ayu",
        ptt_mode="latch",
        ptt_tail_ms=750,
        ptt_key="F8",
        global_ptt=False,
        input_device="headset",
        output_device="headphones",
        output_volume=80,
        cues=False,
        start_minimised=True,
        language="id",
        server_mode="url",
        server_url="ws://rooms.example:8765/ws",
    )
    JsonSettingsStore(path).save(chosen)
    assert JsonSettingsStore(path).load() == chosen
    assert "token" not in path.read_text()


def test_bad_values_fall_back_to_defaults(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "ptt_tail_ms": 99999,
                "output_volume": -5,
                "cues": "yes",
                "ptt_key": "",
                "input_device": 3,
                "theme": "neon",
                "server_mode": "url",  # without a URL: ask again
                "server_url": "",
                "mystery": 1,
                # Good values beside the bad ones are kept.
                "username": "ayu",
                "ptt_mode": "latch",
                "output_device": "headphones",
                "start_minimised": True,
            }
        )
    )
    loaded = JsonSettingsStore(path).load()
    # Out of range: the default, not the nearest bound (a hand-edited file said something else).
    assert (loaded.ptt_tail_ms, loaded.output_volume, loaded.cues) == (200, 100, True)
    assert (loaded.ptt_key, loaded.input_device, loaded.server_mode) == ("Space", None, "")
    assert loaded.theme == "system"
    assert (loaded.username, loaded.ptt_mode, loaded.output_device) == (
        "ayu",
        "latch",
        "headphones",
    )
    assert loaded.start_minimised
    warnings = {
        r.getMessage().split("=")[0].removeprefix("ignoring setting "): r.getMessage()
        for r in caplog.records
        if r.levelname == "WARNING"
    }
    assert set(warnings) == {
        "ptt_tail_ms",
        "output_volume",
        "cues",
        "ptt_key",
        "input_device",
        "theme",
    }
    assert "<= 2000" in warnings["ptt_tail_ms"] and ">= 0" in warnings["output_volume"]
    path.write_text("[1, 2]")
    assert JsonSettingsStore(path).load() == Settings()


def test_values_set_in_the_app_are_held_to_the_same_rules() -> None:
    chosen = Settings(username="ayu", output_volume=400, theme="neon", ptt_mode="latch")
    chosen.normalise()
    assert (chosen.username, chosen.output_volume, chosen.theme, chosen.ptt_mode) == (
        "ayu",
        100,
        "system",
        "latch",
    )


def test_text_values_are_typed_and_bad_ones_fall_back(caplog: pytest.LogCaptureFixture) -> None:
    # What an INI file (QSettings) gives back: every value as text.
    loaded = Settings.from_text(
        {
            "username": "123",  # a str field keeps digits as text
            "ptt_tail_ms": " 750 ",
            "global_ptt": "True",
            "cues": "false",
            "output_volume": "loud",  # hand-edited: not a number
            "start_minimised": "yes",  # not true/false
            "ptt_key": ["F8", "F9"],  # INI reads an unquoted a,b as a list
            "input_device": "USB Headset: Audio (hw:1,0)",
            "language": "",
        }
    )
    assert (loaded.username, loaded.ptt_tail_ms, loaded.global_ptt, loaded.cues) == (
        "123",
        750,
        True,
        False,
    )
    assert (loaded.output_volume, loaded.start_minimised, loaded.ptt_key) == (100, False, "Space")
    assert loaded.input_device == "USB Headset: Audio (hw:1,0)" and loaded.output_device is None
    warned = " ".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    for name in ("output_volume", "start_minimised", "ptt_key"):
        assert name in warned


class RecordingStore:
    """A SettingsStore that keeps what it was given."""

    def __init__(self) -> None:
        self.saved: list[Settings] = []

    def load(self) -> Settings:
        return self.saved[-1] if self.saved else Settings()

    def save(self, settings: Settings) -> None:
        self.saved.append(Settings(**vars(settings)))


def test_the_session_saves_changes_through_its_store() -> None:
    store: SettingsStore = RecordingStore()
    session = DesktopSession(
        "ws://127.0.0.1:1/ws", TokenStore(), PullAudio(), store.load(), store, scheduler=FakeClock()
    )
    session.set_ptt_mode(PttMode.LATCH)
    session.set_ptt_tail(900)
    assert (store.load().ptt_mode, store.load().ptt_tail_ms) == ("latch", 900)
    # Without a store nothing is written anywhere.
    DesktopSession("ws://127.0.0.1:1/ws", TokenStore(), PullAudio()).set_ptt_tail(300)


class FakeHotkey:
    def __init__(self) -> None:
        self.keys: list[str] = []

    def apply(self, settings: Settings) -> None:
        self.keys.append(settings.ptt_key)


async def test_applied_settings_drive_push_to_talk_and_persist(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    clock = FakeClock()
    session = session_at(path, clock)
    session.settings.username = "ayu"
    hotkey = FakeHotkey()
    new = Settings(ptt_key="F8", ptt_mode="latch", ptt_tail_ms=500, cues=False)
    notes = await apply_settings(session, new, hotkey=hotkey)
    assert notes == []
    assert hotkey.keys == ["F8"]
    saved = JsonSettingsStore(path).load()
    assert (saved.username, saved.ptt_key, saved.ptt_mode, saved.ptt_tail_ms) == (
        "ayu",
        "F8",
        "latch",
        500,
    )
    assert saved.cues is False

    # Latch: a press turns it on, the release does not end it, a press ends it.
    ptt = session.ptt
    assert ptt.mode is PttMode.LATCH
    ptt.press()
    ptt.release()
    assert ptt.live
    ptt.press()
    ptt.release()
    assert not ptt.live

    # Hold with the 500 ms tail: still live 0.4 s after the release, off by 0.5 s.
    await apply_settings(session, Settings(ptt_mode="hold", ptt_tail_ms=500))
    assert session.ptt.mode is PttMode.HOLD and session.ptt.tail_ms == 500
    ptt.press()
    ptt.release()
    clock.advance(0.4)
    assert ptt.live
    clock.advance(0.11)
    assert not ptt.live
    # A reload (the next start) builds the machine the same way.
    again = session_at(path)
    assert again.ptt.mode is PttMode.HOLD and again.ptt.tail_ms == 500


async def test_changing_the_server_says_it_applies_at_the_next_start(tmp_path: Path) -> None:
    session = session_at(tmp_path / "settings.json")
    new = Settings(server_mode="url", server_url="ws://other:8765/ws")
    assert await apply_settings(session, new) == [SERVER_NOTE]
    assert JsonSettingsStore(tmp_path / "settings.json").load().server_url == "ws://other:8765/ws"


async def test_first_run_choice_is_asked_once_and_remembered(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    asked: list[int] = []

    async def ask_url() -> ServerChoice | None:
        asked.append(1)
        return ServerChoice(ServerMode.URL, "ws://rooms.example:8765/ws")

    settings = JsonSettingsStore(path).load()
    choice = await resolve_server(
        None, settings, ask_url, lambda: JsonSettingsStore(path).save(settings)
    )
    assert choice == ServerChoice(ServerMode.URL, "ws://rooms.example:8765/ws")
    assert asked == [1]

    async def must_not_ask() -> ServerChoice | None:
        raise AssertionError("asked again")

    later = JsonSettingsStore(path).load()
    assert await resolve_server(None, later, must_not_ask, lambda: None) == choice
    # --server is for one run only.
    once = await resolve_server(
        "ws://x:1/ws", later, must_not_ask, lambda: JsonSettingsStore(path).save(later)
    )
    assert once == ServerChoice(ServerMode.URL, "ws://x:1/ws")
    assert JsonSettingsStore(path).load().server_url == "ws://rooms.example:8765/ws"


async def test_first_run_cancelled_remembers_nothing(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings = Settings()

    async def cancel() -> ServerChoice | None:
        return None

    assert (
        await resolve_server(None, settings, cancel, lambda: JsonSettingsStore(path).save(settings))
        is None
    )
    assert not path.exists()

    async def host() -> ServerChoice | None:
        return EMBEDDED

    assert (
        await resolve_server(None, settings, host, lambda: JsonSettingsStore(path).save(settings))
        == EMBEDDED
    )
    assert JsonSettingsStore(path).load().server_mode == "embedded"


def test_cues_are_short_rising_and_falling_tones() -> None:
    on, off = cue_tone("on"), cue_tone("off")
    assert len(on) == len(off) == 5760  # 120 ms
    half = len(on) // 2
    assert peak_frequency(on[:half]) < peak_frequency(on[half:])
    assert peak_frequency(off[:half]) > peak_frequency(off[half:])
    assert 0.2 < np.abs(on).max() / 32767 < 0.3


def test_cue_player_plays_on_each_change_of_live(tmp_path: Path) -> None:
    session = session_at(tmp_path / "settings.json")
    played: list[str] = []
    player = CuePlayer(session, played.append)
    session.ptt.press()
    session.ptt.press()  # auto-repeat: nothing
    session.ptt.release()
    session.set_ptt_mode(PttMode.LATCH)  # a PTT change that is not a press
    assert played == ["on", "off"]
    player.close()
    session.ptt.press()
    assert played == ["on", "off"]


async def test_device_mix_has_room_cue_and_volume() -> None:
    audio = DeviceAudio(volume=50)
    room = np.full(FRAME, 1000, dtype=np.int16)
    assert not audio.next_frame().any()  # nothing joined: silence
    await audio.start(lambda: room)
    assert (audio.next_frame() == 500).all()
    audio.playback_muted = True
    assert not audio.next_frame().any()
    audio.play_cue("on")
    heard = np.concatenate([audio.next_frame() for _ in range(7)])
    assert np.array_equal(heard[: len(cue_tone("on"))], (cue_tone("on") * 0.5).astype(np.int16))
    assert not heard[len(cue_tone("on")) :].any()
    audio.cues_enabled = False
    audio.play_cue("off")
    assert not audio.next_frame().any()


async def test_no_global_hotkey_without_x11(caplog: pytest.LogCaptureFixture) -> None:
    assert unavailable_reason({}) == "no X display"
    assert "Wayland" in (unavailable_reason({"DISPLAY": ":0", "WAYLAND_DISPLAY": "w-0"}) or "")
    assert unavailable_reason({"DISPLAY": ":0"}) is None
    caplog.set_level(logging.INFO, "app.client.hotkey")
    loop = asyncio.get_running_loop()
    assert start_global_hotkey("Space", print, print, loop, {}) is None
    assert "no global push-to-talk hotkey (no X display)" in caplog.text


def test_key_names_map_to_pynput() -> None:
    assert pynput_key_name("Space") == "space"
    assert pynput_key_name("F8") == "f8"
    assert pynput_key_name("A") == "a"
    assert pynput_key_name("Control") == "ctrl"
    assert pynput_key_name("Volume Up") is None


async def test_global_presses_count_only_for_a_speaker() -> None:
    presses: list[str] = []
    may = [False]
    hotkey = PttHotkey(
        lambda: may[0],
        lambda: presses.append("press"),
        lambda: presses.append("release"),
        asyncio.get_running_loop(),
        environ={},
    )
    hotkey.apply(Settings())  # no display: falls back quietly
    assert hotkey.hotkey is None
    hotkey.pressed()
    may[0] = True
    hotkey.pressed()
    assert presses == ["press"]
    hotkey.stop()


async def test_device_mix_follows_a_half_frame_from_the_playout() -> None:
    # The playout's phase move: 10 ms of room once. The mix is 10 ms too, and
    # the cue in progress continues exactly where it was.
    audio = DeviceAudio()
    want = [FRAME, FRAME // 2, *[FRAME] * 8]
    lengths = iter(want)
    await audio.start(lambda: np.full(next(lengths), 100, dtype=np.int16))
    audio.play_cue("on")
    mixed = [audio.next_frame() for _ in want]
    assert [len(m) for m in mixed] == want
    cue = cue_tone("on")
    heard = np.concatenate(mixed)[: len(cue)].astype(np.int32) - 100
    assert np.abs(heard - cue.astype(np.int32)).max() <= 1
