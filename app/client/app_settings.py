"""The desktop app's preferences, and where they are kept.

Never holds a secret: the session token lives in the keyring (secrets.py).

`Settings` is the typed, validated record; a `SettingsStore` loads and saves
it. The app keeps it in QSettings (app/ui/settings_store.py, an INI file in
the `--config` directory, so that test runs and profiles stay apart); this
module is Qt-free, so that the session, the control commands and the tests
use it without Qt, with `JsonSettingsStore` (the format before QSettings,
still read once to migrate it).
"""

import json
import logging
import typing
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Protocol

import msgspec

from app.client.ptt import MAX_TAIL_MS, PttMode

log = logging.getLogger(__name__)

DEFAULT_PTT_KEY = "Space"
MAX_VOLUME = 150  # percent


class ServerMode(StrEnum):
    UNSET = ""  # first run: ask
    EMBEDDED = "embedded"  # host on this computer (SQLite)
    URL = "url"  # connect to server_url


THEMES = ("system", "light", "dark")


def _one_of(values: typing.Iterable[str]) -> msgspec.Meta:
    """A string that must be one of `values` (the type stays `str` for the code)."""
    return msgspec.Meta(pattern="^(" + "|".join(values) + ")$")


@dataclass
class Settings:
    """Each field's type says what a stored value must be (msgspec checks it on load)."""

    username: str = ""
    ptt_mode: Annotated[str, _one_of(PttMode)] = PttMode.HOLD.value
    ptt_tail_ms: Annotated[int, msgspec.Meta(ge=0, le=MAX_TAIL_MS)] = 200
    # A key name as Qt writes it (QKeySequence.toString): "Space", "F9", "A".
    ptt_key: Annotated[str, msgspec.Meta(pattern=r"\S")] = DEFAULT_PTT_KEY
    # Also a global hotkey (pynput, X11) while the window is in the background.
    # Off until asked for: with Space as the key, a system-wide hotkey would
    # open a speaker's microphone whenever they type in another program.
    global_ptt: bool = False
    # Sound devices by name; None: the system default.
    input_device: str | None = None
    output_device: str | None = None
    output_volume: Annotated[int, msgspec.Meta(ge=0, le=MAX_VOLUME)] = 100  # percent
    cues: bool = True  # short tones on push-to-talk press and release
    # Voice-activity mode: talk when the microphone hears speech, not only
    # while the key is held (voice_talk.py); others see a badge.
    voice_activity: bool = False
    # Voice processing on the microphone (WebRTC's: app/audio/apm.py).
    echo_cancellation: bool = True
    noise_suppression: bool = True
    auto_gain: bool = True
    start_minimised: bool = False  # to the tray, when there is one
    language: str = ""  # "en", "id"; empty: the system's language
    theme: Annotated[str, _one_of(THEMES)] = "system"  # "system": the desktop's palette
    # Hosting on this computer: also let others on the local network join.
    share_on_network: bool = False
    # Per-speaker volume, by username: "name=percent" pairs, space-separated
    # (usernames have neither; app/client/speaker_volumes.py reads them).
    speaker_volumes: Annotated[str, msgspec.Meta(pattern=r"^(\S+=\d{1,3}( \S+=\d{1,3})*)?$")] = ""
    server_mode: Annotated[str, _one_of(ServerMode)] = ServerMode.UNSET.value
    server_url: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, object], *, text: bool = False) -> "Settings":
        """Known fields whose value fits the field's type; any other falls back
        to its default, with a warning naming it, and the rest are kept.

        `text`: a store that gives every value back as text (INI): "true" and
        "750" become a bool and an int where the field wants one."""
        types = typing.get_type_hints(cls, include_extras=True)
        default = cls()
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            if text and isinstance(value, str) and isinstance(getattr(default, f.name), int):
                value = value.strip()  # a bool or a number, as text
            try:
                values[f.name] = msgspec.convert(value, types[f.name], strict=not text)
            except msgspec.ValidationError as exc:
                log.warning("ignoring setting %s=%r: %s", f.name, value, exc)
        settings = cls(**values)
        if settings.server_mode == ServerMode.URL and not settings.server_url:
            settings.server_mode = ServerMode.UNSET.value  # nowhere to connect: ask again
        return settings

    @classmethod
    def from_text(cls, data: Mapping[str, object]) -> "Settings":
        """As `from_dict`, for stores that give every value back as text (INI)."""
        return cls.from_dict(data, text=True)

    def normalise(self) -> None:
        """Hold values set in the app (the dialog) to the same rules as loaded ones."""
        checked = Settings.from_dict(asdict(self))
        for f in fields(self):
            setattr(self, f.name, getattr(checked, f.name))


class SettingsStore(Protocol):
    """Where the settings live between runs."""

    def load(self) -> Settings: ...

    def save(self, settings: Settings) -> None: ...


class JsonSettingsStore:
    """One JSON file: the Qt-free store (tests), and the format before QSettings."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Settings:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return Settings()
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable settings %s: %s", self.path, exc)
            return Settings()
        if not isinstance(data, dict):
            log.warning("ignoring settings %s: not an object", self.path)
            return Settings()
        return Settings.from_dict(data)

    def save(self, settings: Settings) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(settings), indent=2), encoding="utf-8")
        tmp.replace(self.path)  # never a half-written file after a crash
