"""The first-run question: host rooms on this computer, or connect to a
server someone else runs. Asked once; the answer is remembered in the
settings (and can be changed in the settings dialog)."""

import asyncio

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.client.app_settings import ServerMode
from app.client.server_choice import EMBEDDED, ServerChoice, server_url_problem
from app.ui.dialog_buttons import dialog_buttons


class FirstRunDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Welcome to Panggung"))
        self.setAccessibleName(self.tr("Welcome"))
        intro = QLabel(
            self.tr("Where should your rooms live? You can change this later in Settings.")
        )
        intro.setWordWrap(True)
        self.embedded = QRadioButton(self.tr("&Host on this computer (rooms are kept here)"))
        self.embedded.setAccessibleName(self.tr("Host on this computer"))
        self.remote = QRadioButton(self.tr("&Connect to a server URL:"))
        self.remote.setAccessibleName(self.tr("Connect to a server URL"))
        self.url = QLineEdit()
        self.url.setPlaceholderText("ws://host:8765/ws")
        self.url.setAccessibleName(self.tr("Server URL"))
        # Why the URL cannot be used yet; OK stays disabled until it can.
        self.problem = QLabel()
        self.problem.setAccessibleName(self.tr("Server URL problem"))
        self.problem.setWordWrap(True)
        group = QButtonGroup(self)
        group.addButton(self.embedded)
        group.addButton(self.remote)
        self.embedded.setChecked(True)
        self.buttons = dialog_buttons(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (intro, self.embedded, self.remote, self.url, self.problem, self.buttons):
            layout.addWidget(widget)
        self.url.textEdited.connect(lambda _text: self.remote.setChecked(True))
        self.remote.toggled.connect(self._update)
        self.url.textChanged.connect(self._update)
        self._update()

    def _update(self, *_args: object) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        problem = server_url_problem(self.url.text())
        ok.setEnabled(self.embedded.isChecked() or problem is None)
        words = {
            "scheme": self.tr("A server URL starts with ws:// or wss://, e.g. ws://host:8765/ws"),
            "host": self.tr("That is not a server URL: it needs a host, e.g. ws://host:8765/ws"),
        }
        show = self.remote.isChecked() and problem in words
        self.problem.setText(words[problem] if show and problem is not None else "")
        self.problem.setVisible(show)

    def accept(self) -> None:
        if self.remote.isChecked() and server_url_problem(self.url.text()) is not None:
            return  # Enter in the field with a bad URL: stay and show why
        super().accept()

    def choice(self) -> ServerChoice:
        if self.remote.isChecked() and server_url_problem(self.url.text()) is None:
            return ServerChoice(ServerMode.URL, self.url.text().strip())
        return EMBEDDED


async def ask_server(parent: QWidget | None = None) -> ServerChoice | None:
    """Show the question and wait (on the running loop) for the answer; None: cancelled."""
    dialog = FirstRunDialog(parent)
    done: asyncio.Future[ServerChoice | None] = asyncio.get_running_loop().create_future()

    def finished(result: int) -> None:
        if not done.done():
            done.set_result(dialog.choice() if result == QDialog.DialogCode.Accepted else None)

    dialog.finished.connect(finished)
    dialog.open()
    try:
        return await done
    finally:
        dialog.deleteLater()
