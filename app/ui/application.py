"""The Qt application and its asyncio loop (qasync): everything async in the
app — the session, the embedded server, the control socket — runs on it.

Also where room links from the OS arrive: macOS hands a `panggung://` link
to the app (running, or started for it) as a QFileOpenEvent, never in argv.
"""

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import qasync
from PySide6.QtCore import QEvent, QObject, QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication

from app.protocol.links import SCHEME, parse_link
from app.ui.qasync_hooks import set_running_loop

LinkHandler = Callable[[str], None]


class AppEventLoop(qasync.QEventLoop):  # type: ignore[misc]  # qasync is untyped
    """qasync's loop, with asyncio's running loop kept set until
    ``run_until_complete`` returns.

    qasync's ``run_until_complete`` processes Qt's events once more after
    ``run_forever`` has cleared the running loop; a task stepped then (a timer
    that fell due) finds no loop in its next ``await asyncio.sleep`` and dies
    with "no running event loop".
    """

    def run_forever(self) -> Any:
        try:
            return super().run_forever()
        finally:
            set_running_loop(self)

    def run_until_complete(self, future: Any) -> Any:
        try:
            return super().run_until_complete(future)
        finally:
            set_running_loop(None)


class LinkOpener(QObject):
    """An application-wide event filter: FileOpen events that carry a room
    link (`panggung://...`, or an `http(s)://HOST/room/...` invite) go to the
    handler; any other file or URL is left to Qt.

    Links that come before there is a handler (macOS sends the one that
    started the app as soon as the event loop runs, before the window and
    session exist) wait for `set_handler`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._handler: LinkHandler | None = None
        self.pending: list[str] = []

    def set_handler(self, handler: LinkHandler | None) -> None:
        self._handler = handler
        if handler is not None:
            waiting, self.pending = self.pending, []
            for link in waiting:
                handler(link)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.FileOpen or not isinstance(event, QFileOpenEvent):
            return False
        link = room_link(event.url())
        if link is None:
            return False
        if self._handler is None:
            self.pending.append(link)
        else:
            self._handler(link)
        return True  # handled: nothing else should try to open it as a file


def room_link(url: QUrl) -> str | None:
    """The link as text when `url` names a room, else None."""
    if not url.isValid():
        return None
    text = url.toString(QUrl.ComponentFormattingOption.FullyEncoded)
    if url.scheme() == SCHEME:
        return text  # always ours: a broken one gets its error shown on joining
    if url.scheme() in ("http", "https"):
        try:
            parse_link(text)
        except ValueError:
            return None  # a web page, not an invite
        return text
    return None


def sends_file_open(platform: str = sys.platform) -> bool:
    """Whether this OS gives the app room links as QFileOpenEvents (macOS;
    elsewhere they come as arguments, through `panggung join`)."""
    return platform == "darwin"


def run_qt(
    main: Callable[[QApplication], Coroutine[Any, Any, int]], links: LinkOpener | None = None
) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Panggung")
    app.setDesktopFileName("panggung")
    # The room keeps playing with every window closed (tray, shortcuts).
    app.setQuitOnLastWindowClosed(False)
    # Only macOS hands links over as FileOpen events, and an application-wide
    # filter runs Python for every event of the app (qasync's timers and
    # sockets: hundreds a second), so elsewhere it is not installed.
    links = links if links is not None and sends_file_open() else None
    if links is not None:
        # Before the loop runs: the link that launched the app comes first.
        app.installEventFilter(links)
    loop = AppEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        result: int = loop.run_until_complete(main(app))
        return result
    finally:
        if links is not None:
            app.removeEventFilter(links)
        loop.close()
        asyncio.set_event_loop(None)
