"""The desktop app's settings: a small JSON file in the config directory.

Never holds a secret: the session token lives in the keyring (secrets.py).
"""

import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from app.client.ptt import PttMode, clamp_tail

log = logging.getLogger(__name__)


@dataclass
class Settings:
    username: str = ""
    ptt_mode: str = PttMode.HOLD.value
    ptt_tail_ms: int = 200

    @classmethod
    def load(cls, path: Path) -> "Settings":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable settings %s: %s", path, exc)
            return cls()
        known = {f.name for f in fields(cls)}
        settings = cls(**{k: v for k, v in data.items() if k in known})
        if settings.ptt_mode not in set(PttMode):
            settings.ptt_mode = PttMode.HOLD.value
        settings.ptt_tail_ms = clamp_tail(settings.ptt_tail_ms)
        return settings

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        tmp.replace(path)
