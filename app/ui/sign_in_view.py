"""Sign in: log in or create an account; failures are shown right here."""

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.controller import SessionController


class SignInView(QWidget):
    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        session = controller.session
        heading = QLabel(
            "<h2>Panggung</h2>"
            + self.tr("Server: {server}").format(server=html.escape(session.server_label))
        )
        self.username = QLineEdit(session.settings.username)
        self.username.setAccessibleName(self.tr("Username"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName(self.tr("Password"))
        self.log_in = QPushButton(self.tr("&Log in"))
        self.log_in.setAccessibleName(self.tr("Log in"))
        self.log_in.setDefault(True)
        self.register = QPushButton(self.tr("&Create account"))
        self.register.setAccessibleName(self.tr("Create account"))
        self.error = QLabel()
        self.error.setAccessibleName(self.tr("Sign-in error"))
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.keyring_note = QLabel(session.tokens.problem or "")
        self.keyring_note.setAccessibleName(self.tr("Keyring warning"))
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setVisible(bool(session.tokens.problem))

        form = QFormLayout()
        form.addRow(self.tr("&Username"), self.username)
        form.addRow(self.tr("Pass&word"), self.password)
        buttons = QHBoxLayout()
        buttons.addWidget(self.log_in)
        buttons.addWidget(self.register)
        # A form of a readable width, in the middle of the window.
        box = QWidget()
        box.setMaximumWidth(440)
        inner = QVBoxLayout(box)
        inner.addWidget(heading)
        inner.addLayout(form)
        inner.addLayout(buttons)
        inner.addWidget(self.error)
        inner.addWidget(self.keyring_note)
        row = QHBoxLayout()
        row.addStretch()
        row.addWidget(box, 1)
        row.addStretch()
        layout = QVBoxLayout(self)
        layout.addStretch()
        layout.addLayout(row)
        layout.addStretch()

        self.log_in.clicked.connect(lambda: self._submit(register=False))
        self.register.clicked.connect(lambda: self._submit(register=True))
        self.password.returnPressed.connect(lambda: self._submit(register=False))
        controller.errorRaised.connect(self._show_error)
        controller.busyChanged.connect(self._busy)

    def _submit(self, register: bool) -> None:
        name, password = self.username.text().strip(), self.password.text()
        if not name or not password:
            self._show_error(self.tr("Enter a username and a password."))
            return
        self.error.hide()
        self._controller.run(self._controller.session.sign_in(name, password, register), busy=True)

    def _show_error(self, text: str) -> None:
        if self.isVisible() or not self._controller.session.client:
            self.error.setText(text)
            self.error.show()

    def _busy(self, busy: bool) -> None:
        for widget in (self.log_in, self.register, self.username, self.password):
            widget.setEnabled(not busy)

    def reset(self) -> None:
        self.password.clear()
        self.keyring_note.setText(self._controller.session.tokens.problem or "")
        self.keyring_note.setVisible(bool(self._controller.session.tokens.problem))
