"""Ending a recorded room: the host chooses what becomes of its recording
(a replay for the room's audience, for moderators only, or deleted)."""

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.protocol.model import ReplayChoice
from app.ui.dialog_buttons import dialog_buttons


class EndRoomDialog(QDialog):
    def __init__(self, invite_only: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("End room"))
        question = QLabel(
            self.tr("This room is being recorded. End it for everyone, and keep its recording as:")
        )
        question.setWordWrap(True)
        audience = (
            self.tr("A replay for those in the room and its moderators")
            if invite_only
            else self.tr("A public replay: anyone signed in may play it")
        )
        self.public = QRadioButton(audience)
        self.private = QRadioButton(self.tr("A replay for moderators only"))
        self.deleted = QRadioButton(self.tr("Nothing: delete the recording"))
        self.private.setChecked(True)  # the server's default too
        group = QButtonGroup(self)
        for button in (self.public, self.private, self.deleted):
            group.addButton(button)
        buttons = dialog_buttons(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("&End room"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(question)
        for widget in (self.public, self.private, self.deleted):
            layout.addWidget(widget)
        layout.addWidget(buttons)

    def choice(self) -> ReplayChoice:
        if self.public.isChecked():
            return "public"
        return "deleted" if self.deleted.isChecked() else "private"
