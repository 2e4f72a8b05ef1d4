"""The main window: sign-in, directory and room pages, a message bar, and
the push-to-talk key (Space unless the settings say otherwise) while the
window has the focus, and a menu with the settings.

Closing or minimising hides the window when a tray is there to bring it
back; the session and its audio keep running either way.
"""

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShowEvent, QWindow
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLineEdit,
    QMainWindow,
    QStackedWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.client.app_state import Phase
from app.ui.controller import SessionController
from app.ui.directory_view import DirectoryView
from app.ui.keys import is_key
from app.ui.notice_bar import ERROR_S, NoticeBar, hand_notice_stale
from app.ui.plain_text import isolate
from app.ui.recordings_dialog import RecordingsDialog
from app.ui.room_view import RoomView
from app.ui.sign_in_view import SignInView

PTT_KEY = Qt.Key.Key_Space  # the default; the settings' ptt_key is the one used


class MainWindow(QMainWindow):
    def __init__(self, controller: SessionController) -> None:
        super().__init__()
        self.controller = controller
        self.setWindowTitle("Panggung")
        self.resize(900, 700)
        # Transient notices, in a strip that keeps its height: nothing moves.
        self.message = NoticeBar()
        self.sign_in = SignInView(controller)
        self.directory = DirectoryView(controller)
        self.room = RoomView(controller)
        self.pages = QStackedWidget()
        for page in (self.sign_in, self.directory, self.room):
            self.pages.addWidget(page)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.message)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        # Set by the shell when a system tray can bring the window back.
        self.hides_to_tray: Callable[[], bool] = lambda: False
        self.on_close: Callable[[], None] = lambda: None
        # Set by the app's composition root: shows the settings dialog.
        self.on_settings: Callable[[], None] = lambda: None
        app_menu = self.menuBar().addMenu(self.tr("&Panggung"))
        # The signed-in user's recordings; one dialog at a time.
        self.recordings_action = app_menu.addAction(self.tr("My &recordings…"))
        self.recordings_action.triggered.connect(self.open_recordings)
        self.recordings_dialog: RecordingsDialog | None = None
        self.settings_action = app_menu.addAction(self.tr("&Settings…"))
        self.settings_action.setShortcut(QKeySequence.StandardKey.Preferences)
        self.settings_action.triggered.connect(lambda: self.on_settings())

        controller.phaseChanged.connect(self._phase)
        controller.roomChanged.connect(self._show_title)
        controller.errorRaised.connect(lambda text: self.show_message(text, ERROR_S))
        controller.noticeRaised.connect(self._notice)
        controller.roomChanged.connect(self.message.check)
        # The push-to-talk key is caught where the window's key events enter
        # (its QWindow, see showEvent) and on the window itself (events sent
        # to it, WindowDeactivate), never with an application-wide filter:
        # that would run this Python method for every event of the app,
        # hundreds a second of them qasync's timers and sockets.
        self.installEventFilter(self)
        self._key_window: QWindow | None = None
        self._phase(controller.session.phase.value)

    def show_message(self, text: str, seconds: float | None = None) -> None:
        self.message.show_notice(text, seconds)

    def _notice(self, kind: str, text: str) -> None:
        if kind == "hand":  # "X raised a hand": true until that hand is handled
            self.message.show_notice(text, stale=hand_notice_stale(self._raised_hands))
        else:
            self.message.show_notice(text)

    def _raised_hands(self) -> dict[int, float]:
        model = self.controller.session.model
        if model is None:
            return {}
        return {m.user_id: m.hand_raised_at or 0.0 for m in model.hand_queue()}

    def open_recordings(self) -> RecordingsDialog:
        dialog = self.recordings_dialog
        if dialog is None:
            dialog = self.recordings_dialog = RecordingsDialog(self.controller, self)
            dialog.finished.connect(lambda _result: self._recordings_closed(dialog))
            dialog.refresh()
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def _recordings_closed(self, dialog: RecordingsDialog) -> None:
        if self.recordings_dialog is dialog:
            self.recordings_dialog = None
        dialog.deleteLater()

    def _phase(self, phase: str) -> None:
        page: QWidget
        self.recordings_action.setEnabled(
            phase in (Phase.DIRECTORY, Phase.IN_ROOM, Phase.RECONNECTING)
        )
        if phase in (Phase.SIGNED_OUT, Phase.SIGNING_IN):
            page = self.sign_in
            if phase == Phase.SIGNED_OUT:
                self.sign_in.reset()
        elif phase == Phase.DIRECTORY:
            page = self.directory
            self.directory.refresh()
        else:
            page = self.room
            self.room.refresh()
        if phase != Phase.SIGNED_OUT and self.pages.currentWidget() is not page:
            self.message.clear()  # a new page: old news is gone
        self.pages.setCurrentWidget(page)
        self._show_title()

    def _show_title(self) -> None:
        """The room's title first, so the taskbar tells windows apart."""
        model = self.controller.session.model
        if self.pages.currentWidget() is self.room and model is not None:
            self.setWindowTitle(f"{isolate(model.snapshot.title)} — Panggung")
        else:
            self.setWindowTitle("Panggung")

    # -- the push-to-talk key ------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        handle = self.windowHandle()  # made when first shown, and remade now and then
        if handle is not None and handle is not self._key_window:
            if self._key_window is not None:
                self._key_window.removeEventFilter(self)
            handle.installEventFilter(self)
            self._key_window = handle

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.KeyPress or kind == QEvent.Type.KeyRelease:
            assert isinstance(event, QKeyEvent)
            if self._ptt_key(event):
                if not event.isAutoRepeat():
                    session = self.controller.session
                    if kind == QEvent.Type.KeyPress:
                        session.ptt_press()
                    else:
                        session.ptt_release()
                return True
            if kind == QEvent.Type.KeyPress and self._activate_focused_button(event):
                return True
        elif (
            kind == QEvent.Type.WindowDeactivate
            and watched is self
            and self.controller.session.ptt.held
        ):
            # Lost focus while holding Space: the key-up never comes.
            self.controller.session.ptt_release()
        return False

    def _ptt_key(self, event: QKeyEvent) -> bool:
        if not is_key(event.key(), self.controller.session.settings.ptt_key):
            return False
        if not self.isActiveWindow():
            return False
        if self.pages.currentWidget() is not self.room:
            return False
        focus = QApplication.focusWidget()
        return not isinstance(focus, QLineEdit | QTextEdit)

    def _activate_focused_button(self, event: QKeyEvent) -> bool:
        """Space talks in the room, so Enter presses the focused button there."""
        if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return False
        if not self.isActiveWindow() or self.pages.currentWidget() is not self.room:
            return False
        focus = QApplication.focusWidget()
        if isinstance(focus, QAbstractButton) and self.isAncestorOf(focus):
            focus.click()
            return True
        return False

    # -- closing and minimising ------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.hides_to_tray():
            event.ignore()
            self.hide()
            return
        event.accept()
        self.on_close()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if (
            event.type() == QEvent.Type.WindowStateChange
            and self.isMinimized()
            and self.hides_to_tray()
        ):
            self.hide()
