"""The preferences in QSettings (panggung.ini): every field read back with
its type, hand-edited nonsense refused, the old settings.json imported once,
and each config directory on its own."""

import json
import logging
from dataclasses import asdict, fields
from pathlib import Path

import pytest

from app.client.app_settings import JsonSettingsStore, Settings, SettingsStore
from app.ui.settings_store import QtSettingsStore

EVERY_FIELD = Settings(
    username="ayu",
    ptt_mode="latch",
    ptt_tail_ms=750,
    ptt_key="F8",
    global_ptt=True,
    input_device="USB Headset: Audio (hw:1,0)",  # a comma: INI would read a list
    output_device="Speakers; front",
    output_volume=130,
    cues=False,
    voice_activity=True,
    echo_cancellation=False,
    noise_suppression=False,
    auto_gain=False,
    start_minimised=True,
    language="id",
    theme="dark",
    speaker_volumes="ayu=0 budi=200",
    share_on_network=True,
    server_mode="url",
    server_url="ws://rooms.example:8765/ws",
)


def test_every_field_round_trips_with_its_type(tmp_path: Path) -> None:
    # Each field differs from its default, or the test would prove nothing.
    default = Settings()
    assert all(getattr(EVERY_FIELD, f.name) != getattr(default, f.name) for f in fields(Settings))
    store: SettingsStore = QtSettingsStore(tmp_path)
    store.save(EVERY_FIELD)
    assert (tmp_path / "panggung.ini").exists()
    loaded = QtSettingsStore(tmp_path).load()
    assert loaded == EVERY_FIELD
    assert [type(v) for v in asdict(loaded).values()] == [
        type(v) for v in asdict(EVERY_FIELD).values()
    ]

    # Back to the defaults, the devices to None (the system's) included.
    store.save(Settings())
    assert QtSettingsStore(tmp_path).load() == Settings()
    assert "token" not in (tmp_path / "panggung.ini").read_text()


def test_hand_edited_nonsense_falls_back_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    QtSettingsStore(tmp_path).save(EVERY_FIELD)
    ini = tmp_path / "panggung.ini"
    edited = []
    for line in ini.read_text().splitlines():
        key = line.partition("=")[0]
        line = {
            "ptt_tail_ms": "ptt_tail_ms=soon",
            "global_ptt": "global_ptt=maybe",
            "output_volume": "output_volume=99999",  # a number, out of range: the default
            "ptt_key": "ptt_key=F8, F9",  # unquoted comma: a list, not a key
            "ptt_mode": "ptt_mode=shout",
        }.get(key, line)
        edited.append(line)
    ini.write_text("\n".join(edited) + "\n")
    with caplog.at_level(logging.WARNING):
        loaded = QtSettingsStore(tmp_path).load()
    assert (loaded.ptt_tail_ms, loaded.global_ptt, loaded.ptt_key) == (200, False, "Space")
    assert (loaded.output_volume, loaded.ptt_mode) == (100, "hold")
    assert (loaded.username, loaded.input_device) == ("ayu", EVERY_FIELD.input_device)
    warned = " ".join(r.getMessage() for r in caplog.records)
    for name in ("ptt_tail_ms", "global_ptt", "ptt_key", "output_volume", "ptt_mode"):
        assert name in warned


def test_the_old_json_is_imported_once_and_left_in_place(tmp_path: Path) -> None:
    old = tmp_path / "settings.json"
    JsonSettingsStore(old).save(EVERY_FIELD)
    before = old.read_text()
    assert QtSettingsStore(tmp_path).load() == EVERY_FIELD
    assert (tmp_path / "panggung.ini").exists() and old.read_text() == before

    # From now on the INI file is the one that counts.
    QtSettingsStore(tmp_path).save(Settings(username="budi"))
    old.write_text(json.dumps({"username": "citra"}))
    assert QtSettingsStore(tmp_path).load() == Settings(username="budi")


def test_nothing_saved_yet_is_the_defaults_and_dirs_stay_apart(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert QtSettingsStore(first).load() == Settings()
    QtSettingsStore(first).save(Settings(username="ayu"))
    QtSettingsStore(second).save(Settings(username="budi"))
    assert QtSettingsStore(first).load().username == "ayu"
    assert QtSettingsStore(second).load().username == "budi"


def test_an_unwritable_file_is_an_os_error(tmp_path: Path) -> None:
    # The session catches OSError when saving, and logs it.
    (tmp_path / "panggung.ini").mkdir()  # a directory where the file should be
    with pytest.raises(OSError, match="cannot write"):
        QtSettingsStore(tmp_path).save(Settings())
