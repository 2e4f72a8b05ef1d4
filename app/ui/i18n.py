"""The app's language: English (the source strings) or Bahasa Indonesia.

Every string the window shows goes through Qt's `tr`/`translate`; the
Indonesian catalogue is `resources/translations/panggung_id.ts`, compiled to
`panggung_id.qm` by `make translations` (pyside6-lupdate + pyside6-lrelease).
Qt's own strings (standard dialog buttons) come from Qt's `qtbase_*.qm`.

    install_translator(app, "id")   # Bahasa Indonesia
    install_translator(app, "en")   # English
    install_translator(app, None)   # the system locale's language, else English
"""

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)

# resources/ at the top of a clone, or unpacked beside the code by PyInstaller.
_BUNDLE = getattr(sys, "_MEIPASS", None)
RESOURCES_DIR = Path(_BUNDLE) if _BUNDLE else Path(__file__).resolve().parents[2]
TRANSLATIONS_DIR = RESOURCES_DIR / "resources" / "translations"
# Language code -> its own name, for a language chooser.
LANGUAGES = {"en": "English", "id": "Bahasa Indonesia"}
DEFAULT = "en"

_installed: list[QTranslator] = []


def resolve_language(language: str | None, system: QLocale | None = None) -> str:
    """The language to use: `language` when we have it, else the system's, else English."""
    if language:
        code = language.replace("-", "_").split("_")[0].lower()
        if code in LANGUAGES:
            return code
        log.warning("no translation for %r; using the system language", language)
    locale = system or QLocale.system()
    for name in locale.uiLanguages():
        code = name.replace("-", "_").split("_")[0].lower()
        if code in LANGUAGES:
            return code
    return DEFAULT


def install_translator(app: QCoreApplication, language: str | None) -> str:
    """Load the translations for `language` (None: the system locale) into
    `app`, replacing any loaded before, and return the language in use.

    Widgets built afterwards show it; build the window after calling this."""
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    chosen = resolve_language(language)
    if chosen == DEFAULT:
        return chosen
    ours = QTranslator(app)
    if ours.load(str(TRANSLATIONS_DIR / f"panggung_{chosen}.qm")):
        app.installTranslator(ours)
        _installed.append(ours)
    else:
        log.warning("translations for %r not found in %s", chosen, TRANSLATIONS_DIR)
        return DEFAULT
    qt = QTranslator(app)
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if qt.load(f"qtbase_{chosen}", qt_dir):
        app.installTranslator(qt)
        _installed.append(qt)
    return chosen
