"""The desktop app's preferences, and where they are kept.

Never holds a secret: the session token lives in the keyring (secrets.py).

`Settings` is the typed, validated record; a `SettingsStore` loads and saves
it. The app keeps it in QSettings (app/ui/settings_store.py, an INI file in
the `--config` directory, so that test runs and profiles stay apart); this
module is Qt-free, so that the session, the control commands and the tests
use it without Qt, with `JsonSettingsStore` (the format before QSettings,
still read once to migrate it).
"""

import contextlib
import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from app.client.ptt import PttMode, clamp_tail

log = logging.getLogger(__name__)

DEFAULT_PTT_KEY = "Space"
MAX_VOLUME = 150  # percent


class ServerMode(StrEnum):
    UNSET = ""  # first run: ask
    EMBEDDED = "embedded"  # host on this computer (SQLite)
    URL = "url"  # connect to server_url


THEMES = ("system", "light", "dark")


@dataclass
class Settings:
    username: str = ""
    ptt_mode: str = PttMode.HOLD.value
    ptt_tail_ms: int = 200
    # A key name as Qt writes it (QKeySequence.toString): "Space", "F9", "A".
    ptt_key: str = DEFAULT_PTT_KEY
    # Also a global hotkey (pynput, X11) while the window is in the background.
    # Off until asked for: with Space as the key, a system-wide hotkey would
    # open a speaker's microphone whenever they type in another program.
    global_ptt: bool = False
    # Sound devices by name; None: the system default.
    input_device: str | None = None
    output_device: str | None = None
    output_volume: int = 100  # percent, 0..MAX_VOLUME
    cues: bool = True  # short tones on push-to-talk press and release
    # Voice processing on the microphone (WebRTC's: app/audio/apm.py).
    echo_cancellation: bool = True
    noise_suppression: bool = True
    auto_gain: bool = True
    start_minimised: bool = False  # to the tray, when there is one
    language: str = ""  # "en", "id"; empty: the system's language
    theme: str = "system"  # "light", "dark" or "system" (the desktop's palette)
    # Hosting on this computer: also let others on the local network join.
    share_on_network: bool = False
    server_mode: str = ServerMode.UNSET.value
    server_url: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Settings":
        """Known fields of the right type; anything else falls back to its default."""
        default = cls()
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            value, want = data[f.name], getattr(default, f.name)
            if f.name in ("input_device", "output_device"):
                ok = value is None or isinstance(value, str)
            elif isinstance(want, bool):
                ok = isinstance(value, bool)
            elif isinstance(want, int):
                ok = isinstance(value, int) and not isinstance(value, bool)
            else:
                ok = isinstance(value, type(want))
            if ok:
                values[f.name] = value
            else:
                log.warning("ignoring setting %s=%r", f.name, value)
        settings = cls(**values)
        settings.normalise()
        return settings

    def normalise(self) -> None:
        if self.ptt_mode not in set(PttMode):
            self.ptt_mode = PttMode.HOLD.value
        self.ptt_tail_ms = clamp_tail(self.ptt_tail_ms)
        self.output_volume = max(0, min(MAX_VOLUME, self.output_volume))
        if not self.ptt_key.strip():
            self.ptt_key = DEFAULT_PTT_KEY
        if self.theme not in THEMES:
            self.theme = "system"
        if self.server_mode not in set(ServerMode):
            self.server_mode = ServerMode.UNSET.value
        if self.server_mode == ServerMode.URL and not self.server_url:
            self.server_mode = ServerMode.UNSET.value

    @classmethod
    def from_text(cls, data: Mapping[str, object]) -> "Settings":
        """As `from_dict`, for stores that give every value back as text (INI).

        "true"/"false" and decimal numbers become bools and ints where the
        field wants them; anything else is left as it is, so that `from_dict`
        refuses it (with a warning) and the default stays."""
        default = cls()
        typed: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            value, want = data[f.name], getattr(default, f.name)
            if isinstance(value, str) and isinstance(want, bool):
                value = {"true": True, "false": False}.get(value.strip().lower(), value)
            elif isinstance(value, str) and isinstance(want, int):
                with contextlib.suppress(ValueError):
                    value = int(value)
            typed[f.name] = value
        return cls.from_dict(typed)


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
