"""The app's preferences in QSettings: `panggung.ini` in the config directory.

An explicit INI file rather than the platform's native store (registry,
plist), so that every `--config` directory (tests, a second profile) has
its own and a person can read and fix it by hand. INI gives every value
back as text: `Settings.from_text` turns it into types and refuses, with a
warning, what a hand edit broke (that setting falls back to its default).

Secrets never go here; the session token lives in the keyring.

The first start after the change imports the old `settings.json` (once:
only while no `panggung.ini` exists). The JSON file is left where it was,
unread from then on, so that going back to an older build loses nothing.
"""

import logging
from dataclasses import asdict, fields
from pathlib import Path

from PySide6.QtCore import QSettings

from app.client.app_settings import JsonSettingsStore, Settings

log = logging.getLogger(__name__)

INI_NAME = "panggung.ini"
OLD_JSON_NAME = "settings.json"


class QtSettingsStore:
    def __init__(self, config_dir: Path) -> None:
        self.path = config_dir / INI_NAME
        self.old_json = config_dir / OLD_JSON_NAME

    def _qsettings(self) -> QSettings:
        return QSettings(str(self.path), QSettings.Format.IniFormat)

    def load(self) -> Settings:
        if not self.path.exists() and self.old_json.exists():
            return self._migrate()
        qs = self._qsettings()
        keys = set(qs.allKeys())
        return Settings.from_text(
            {f.name: qs.value(f.name) for f in fields(Settings) if f.name in keys}
        )

    def save(self, settings: Settings) -> None:
        qs = self._qsettings()
        for name, value in asdict(settings).items():
            if value is None:
                qs.remove(name)  # absent reads back as the default: None
            else:
                qs.setValue(name, value)
        qs.sync()
        if qs.status() is not QSettings.Status.NoError:
            raise OSError(f"cannot write {self.path}: {qs.status().name}")

    def _migrate(self) -> Settings:
        settings = JsonSettingsStore(self.old_json).load()
        try:
            self.save(settings)
        except OSError as exc:
            log.warning("settings not migrated to %s: %s", self.path, exc)
        else:
            log.info("settings imported from %s into %s", self.old_json, self.path)
        return settings
