"""What the dialogs that make a room share (create_room_dialog: now;
schedule_dialog: for later): the title and topic fields, the invite-only
box, a line that says what is wrong, and OK/Cancel; OK is refused while the
room has no title, or while `_problem` names something else."""

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


class RoomFormDialog(QDialog):
    """The form's first rows are the title and topic; the subclass names the
    dialog (`_name`), adds its own rows to `form`, then `_end_form()` adds the
    problem line and the buttons. This class's texts are translated in its
    own context, "RoomFormDialog"; the subclass's in its."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLineEdit()
        self.title.setMaxLength(MAX_TITLE)
        self.title.setAccessibleName(self.tr("Room title"))
        self.topic = QLineEdit()
        self.topic.setMaxLength(MAX_TOPIC)
        self.topic.setAccessibleName(self.tr("Room topic"))
        self.invite_only = QCheckBox()
        self.invite_only.setAccessibleName(self.tr("Invite only"))
        self.problem = QLabel()
        self.problem.hide()
        self.buttons = dialog_buttons(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.form = QFormLayout(self)
        self.form.addRow(self.tr("&Title"), self.title)
        self.form.addRow(self.tr("T&opic"), self.topic)
        self.buttons.accepted.connect(self._check)
        self.buttons.rejected.connect(self.reject)

    def _name(self, *, window_title: str, invite_only: str, ok_text: str, ok_name: str) -> None:
        """The subclass's texts, translated: the window's title, the invite-only
        box's, and the OK button's text and accessible name."""
        self.setWindowTitle(window_title)
        self.invite_only.setText(invite_only)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(ok_text)
        ok.setAccessibleName(ok_name)

    def _end_form(self) -> None:
        self.form.addRow(self.problem)
        self.form.addRow(self.buttons)

    def _problem(self) -> str | None:
        """What else keeps OK from being taken (translated), if anything."""
        return None

    def _check(self) -> None:
        problem = self.tr("Give the room a title.") if not self.title.text().strip() else None
        problem = problem or self._problem()
        if problem is not None:
            self.problem.setText(problem)
            self.problem.show()
            return
        self.accept()
