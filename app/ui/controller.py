"""Adapts the Qt-free DesktopSession to Qt signals and runs its coroutines.

Widgets never await: they call `run(...)` (or `act(...)`) and follow the
signals. The controller keeps the tasks it starts so that they are not
garbage-collected mid-flight, and refreshes the directory while it shows.
"""

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.client.app_state import Phase
from app.client.desktop_session import Change, DesktopSession, Notice
from app.protocol.requests import Request
from app.ui.notice_text import notice_text

log = logging.getLogger(__name__)
DIRECTORY_REFRESH_MS = 3000


class SessionController(QObject):
    phaseChanged = Signal(str)
    roomChanged = Signal()
    roomsChanged = Signal()
    speakingChanged = Signal()
    pttChanged = Signal(bool)
    errorRaised = Signal(str)
    noticeRaised = Signal(str, str)  # kind, text
    busyChanged = Signal(bool)
    reacted = Signal(str, str)  # reaction, who

    def __init__(self, session: DesktopSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._tasks: set[asyncio.Task[Any]] = set()
        self._busy = 0
        self._stopped = False
        session.listeners.append(self._changed)
        # While the window is hidden (in the tray) the speaking levels, four a
        # second while people talk, repaint nothing: only the tray is shown,
        # and it follows the talk state. One catch-up when the window returns.
        self._hidden = False
        self._speaking_missed = False
        self._refresh = QTimer(self)
        self._refresh.setInterval(DIRECTORY_REFRESH_MS)
        self._refresh.timeout.connect(self._refresh_rooms)

    def run(self, work: Coroutine[Any, Any, Any], busy: bool = False) -> "asyncio.Task[Any] | None":
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # A Qt callback outside the running loop (the app is shutting down):
            # nothing can run it any more, so it is dropped, not an error.
            work.close()
            return None
        task = loop.create_task(work)
        self._tasks.add(task)
        if busy:
            self._set_busy(+1)
        task.add_done_callback(lambda t: self._done(t, busy))
        return task

    def set_window_hidden(self, hidden: bool) -> None:
        self._hidden = hidden
        if not hidden and self._speaking_missed:
            self._speaking_missed = False
            self.speakingChanged.emit()

    def stop(self) -> None:
        """Detach from the session: no more timers or signals from it."""
        self._stopped = True
        self._refresh.stop()
        if self._changed in self.session.listeners:
            self.session.listeners.remove(self._changed)

    def act(self, request: Request) -> "asyncio.Task[Any] | None":
        return self.run(self.session.act(request))

    def _done(self, task: "asyncio.Task[Any]", busy: bool) -> None:
        self._tasks.discard(task)
        if busy:
            self._set_busy(-1)
        if not task.cancelled() and task.exception() is not None:
            log.error("task failed", exc_info=task.exception())
            if self._stopped:
                return  # the window that would show it is going away
            self.errorRaised.emit(
                self.tr("Something went wrong: {error}").format(error=task.exception())
            )

    def _set_busy(self, delta: int) -> None:
        was = self._busy > 0
        self._busy += delta
        if (self._busy > 0) != was:
            self.busyChanged.emit(self._busy > 0)

    def _refresh_rooms(self) -> None:
        if self.session.phase is Phase.DIRECTORY:
            self.run(self.session.refresh_rooms())

    def _changed(self, change: Change, notice: Notice | None) -> None:
        if change is Change.PHASE:
            if self.session.phase is Phase.DIRECTORY:
                self._refresh.start()
            else:
                self._refresh.stop()
            self.phaseChanged.emit(self.session.phase.value)
        elif change is Change.ROOM:
            self.roomChanged.emit()
        elif change is Change.ROOMS:
            self.roomsChanged.emit()
        elif change is Change.SPEAKING:
            if self._hidden:
                self._speaking_missed = True
            else:
                self.speakingChanged.emit()
        elif change is Change.PTT:
            self.pttChanged.emit(self.session.ptt.live)
        elif change is Change.ERROR and notice is not None:
            self.errorRaised.emit(notice_text(notice))
        elif change is Change.NOTICE and notice is not None:
            self.noticeRaised.emit(notice.kind, notice_text(notice))
        elif change is Change.REACTION and notice is not None:
            self.reacted.emit(notice.kind, notice.text)
