"""Everything Qt the desktop app shows, built around one DesktopSession:
the controller, the window and (when the desktop has one) the tray."""

import asyncio

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from app.client.app_state import Phase
from app.client.control_commands import join_by_text
from app.client.desktop_session import DesktopSession
from app.ui.controller import SessionController
from app.ui.icons import avatar_cache_clear
from app.ui.main_window import MainWindow
from app.ui.tray import Tray


class DesktopShell:
    def __init__(self, session: DesktopSession, use_tray: bool = True) -> None:
        self.session = session
        self.quit_requested = asyncio.Event()
        self.controller = SessionController(session)
        self.window = MainWindow(self.controller)
        self.tray: Tray | None = None
        if use_tray and Tray.available():
            self.tray = Tray(self.controller, self.window, self.request_quit)
            self.tray.show()
        self.window.hides_to_tray = lambda: self.tray is not None
        # The controller spares a hidden window the speaking levels' repaints.
        self._visibility = _Visibility(self.controller)
        self.window.installEventFilter(self._visibility)
        self.controller.set_window_hidden(not self.window.isVisible())
        # Without a tray nothing could bring a closed window back: quit.
        self.window.on_close = self.request_quit
        # A room link that came before sign-in (macOS starts the app for one).
        self.pending_link: str | None = None
        self.controller.phaseChanged.connect(self._join_pending)

    def show(self) -> None:
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()

    def open_link(self, link: str) -> None:
        """A room link (or id) handed over by the OS: bring the window up and
        join, as `panggung join LINK` does; before sign-in, once signed in."""
        self.show()
        self.pending_link = link
        self._join_pending()

    def _join_pending(self, _phase: str = "") -> None:
        link = self.pending_link
        if link is None or self.session.phase not in (Phase.DIRECTORY, Phase.IN_ROOM):
            return
        self.pending_link = None
        self.controller.run(join_by_text(self.session, link), busy=True)

    def request_quit(self) -> None:
        self.quit_requested.set()

    def close(self) -> None:
        avatar_cache_clear()  # no pixmaps outliving the QApplication
        self.controller.stop()
        if self.tray is not None:
            self.tray.icon.hide()
        self.window.hide()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.window)
        self.window.deleteLater()


class _Visibility(QObject):
    """Tells the controller when the window is shown or hidden (tray, minimised)."""

    def __init__(self, controller: SessionController) -> None:
        super().__init__(controller)
        self._controller = controller

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.Show, QEvent.Type.Hide):
            self._controller.set_window_hidden(kind == QEvent.Type.Hide)
        return False
