"""The Qt application and its asyncio loop (qasync): everything async in the
app — the session, the embedded server, the control socket — runs on it."""

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import qasync
from PySide6.QtWidgets import QApplication


def run_qt(main: Callable[[QApplication], Coroutine[Any, Any, int]]) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Panggung")
    app.setDesktopFileName("panggung")
    # The room keeps playing with every window closed (tray, shortcuts).
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        result: int = loop.run_until_complete(main(app))
        return result
    finally:
        loop.close()
        asyncio.set_event_loop(None)
