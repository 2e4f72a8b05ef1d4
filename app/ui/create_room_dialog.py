"""The dialog that starts a new room: title, topic, invite-only."""

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from app.protocol.requests import MAX_TITLE, MAX_TOPIC
from app.ui.dialog_buttons import dialog_buttons


class CreateRoomDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Create a room"))
        self.title = QLineEdit()
        self.title.setMaxLength(MAX_TITLE)
        self.title.setAccessibleName(self.tr("Room title"))
        self.topic = QLineEdit()
        self.topic.setMaxLength(MAX_TOPIC)
        self.topic.setAccessibleName(self.tr("Room topic"))
        self.invite_only = QCheckBox(self.tr("&Invite only (not listed; join by link)"))
        self.invite_only.setAccessibleName(self.tr("Invite only"))
        self.problem = QLabel()
        self.problem.hide()
        self.buttons = dialog_buttons(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("&Create"))
        ok.setAccessibleName(self.tr("Create room"))
        form = QFormLayout(self)
        form.addRow(self.tr("&Title"), self.title)
        form.addRow(self.tr("T&opic"), self.topic)
        form.addRow(self.invite_only)
        form.addRow(self.problem)
        form.addRow(self.buttons)
        self.buttons.accepted.connect(self._check)
        self.buttons.rejected.connect(self.reject)

    def _check(self) -> None:
        if not self.title.text().strip():
            self.problem.setText(self.tr("Give the room a title."))
            self.problem.show()
            return
        self.accept()
