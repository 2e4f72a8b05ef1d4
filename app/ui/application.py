"""The Qt application and its asyncio loop (qasync): everything async in the
app — the session, the embedded server, the control socket — runs on it.

Also where room links from the OS arrive: macOS hands a `panggung://` link
to the app (running, or started for it) as a QFileOpenEvent, never in argv.
"""

import asyncio
import contextvars
import sys
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, cast

import qasync
from PySide6.QtCore import QEvent, QObject, QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication

from app.protocol.links import SCHEME, parse_link
from app.ui.main_thread_gc import MainThreadCollector
from app.ui.qasync_hooks import on_notifier_ready, set_running_loop
from app.ui.ready_queue import ReadyQueue

LinkHandler = Callable[[str], None]


class AppEventLoop(qasync.QEventLoop):  # type: ignore[misc]  # qasync is untyped
    """qasync's loop, with asyncio's running loop kept set until
    ``run_until_complete`` returns.

    qasync's ``run_until_complete`` processes Qt's events once more after
    ``run_forever`` has cleared the running loop; a task stepped then (a timer
    that fell due) finds no loop in its next ``await asyncio.sleep`` and dies
    with "no running event loop".

    And ``call_soon_threadsafe`` that never touches Qt on the calling thread.
    qasync's emits a Qt signal there, and the callers include threads Qt
    never made (PortAudio's callback threads hand over every captured frame,
    50 a second); PySide's signal machinery on such threads is where a
    Qt test session crashed (SIGSEGV) as a microphone stream stopped. This
    is asyncio's own way instead: the handle goes on a queue and a byte on
    the loop's self-pipe, whose reader (a socket notifier, on the loop's
    thread) runs what is queued, in order.

    And cyclic garbage collected on this thread only (`MainThreadCollector`):
    those threads would otherwise destroy Qt objects caught in cycles.

    And a ready socket's callback runs at once rather than through a Qt timer
    per callback (qasync_hooks.on_notifier_ready), and ready callbacks
    (``call_soon``) run in rounds behind one Qt timer (`ReadyQueue`), not a
    Qt timer each.
    """

    _QEventLoop__on_notifier_ready = on_notifier_ready

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._from_threads: deque[asyncio.Handle] = deque()  # append/popleft: thread-safe
        self._soon = ReadyQueue()
        super().__init__(*args, **kwargs)
        self._collector = MainThreadCollector()
        self._collector.start(self)

    def close(self) -> None:
        self._collector.stop()
        super().close()
        self._soon.close()

    def _add_callback(self, handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle:
        # qasync's call_soon, call_later and call_at all come here.
        if delay > 0:
            return cast(asyncio.Handle, super()._add_callback(handle, delay))
        self._soon.push(handle)
        return handle

    def call_soon_threadsafe(
        self,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        if self.is_closed():
            raise RuntimeError("Event loop is closed")
        handle = asyncio.Handle(callback, args, self, context)
        self._from_threads.append(handle)
        self._write_to_self()
        return handle

    def _process_self_data(self, data: bytes) -> None:
        super()._process_self_data(data)  # signal numbers (add_signal_handler)
        queued = self._from_threads
        for _ in range(len(queued)):  # what is here now; later ones bring their own byte
            handle = queued.popleft()
            if not handle.cancelled():
                handle._run()

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
