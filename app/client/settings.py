"""The desktop app's settings: a small JSON file in the config directory.

Never holds a secret: the session token lives in the keyring (secrets.py).

JSON rather than QSettings: the session, the control commands (`panggung
ptt ...`) and the tests read these without Qt (only app/ui imports PySide6),
and one human-readable file in the `--config` directory keeps parallel test
runs and several app profiles apart.
"""

import json
import logging
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

from app.client.ptt import PttMode, clamp_tail

log = logging.getLogger(__name__)

DEFAULT_PTT_KEY = "Space"
MAX_VOLUME = 150  # percent


class ServerMode(StrEnum):
    UNSET = ""  # first run: ask
    EMBEDDED = "embedded"  # host on this computer (SQLite)
    URL = "url"  # connect to server_url


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
    start_minimised: bool = False  # to the tray, when there is one
    language: str = ""  # "en", "id"; empty: the system's language
    server_mode: str = ServerMode.UNSET.value
    server_url: str = ""

    @classmethod
    def load(cls, path: Path) -> "Settings":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable settings %s: %s", path, exc)
            return cls()
        if not isinstance(data, dict):
            log.warning("ignoring settings %s: not an object", path)
            return cls()
        return cls.from_dict(data)

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
        if self.server_mode not in set(ServerMode):
            self.server_mode = ServerMode.UNSET.value
        if self.server_mode == ServerMode.URL and not self.server_url:
            self.server_mode = ServerMode.UNSET.value

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        tmp.replace(path)
