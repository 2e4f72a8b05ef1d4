"""Qt's part of ``panggung --self-test``: offscreen Qt, widgets, the icon, qasync.

The caller chooses the offscreen platform (QT_QPA_PLATFORM) before this
module is imported.
"""

import asyncio
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QTranslator, qVersion
from PySide6.QtGui import QGuiApplication, QIcon, QImageReader
from PySide6.QtWidgets import QApplication, QLabel

from app.ui.application import AppEventLoop


def check_qt(icon: Path, translations: list[Path]) -> str:
    app = QApplication.instance() or QApplication(["panggung"])
    assert isinstance(app, QApplication)
    platform = QGuiApplication.platformName()
    label = QLabel("Panggung")
    label.resize(160, 40)
    if label.grab().isNull():
        raise RuntimeError("a widget did not render")
    formats = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
    missing = {"png", "svg"} - formats
    if missing:
        raise RuntimeError(f"no image plugin for {', '.join(sorted(missing))}")
    if QIcon(str(icon)).pixmap(64, 64).isNull():
        raise RuntimeError(f"the app icon does not load ({icon})")
    for qm in translations:
        if not QTranslator().load(str(qm)):
            raise RuntimeError(f"translation {qm.name} does not load")
    loop = AppEventLoop(app)
    try:
        loop.run_until_complete(asyncio.sleep(0.01))
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    return (
        f"PySide6 {pyside_version}, Qt {qVersion()} on '{platform}': widget rendered, "
        f"icon and {len(translations)} translations loaded, image formats png+svg, qasync loop ran"
    )
