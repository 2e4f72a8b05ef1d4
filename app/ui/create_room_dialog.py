"""The dialog that starts a new room: title, topic, invite-only."""

from PySide6.QtWidgets import QWidget

from app.ui.room_form import RoomFormDialog


class CreateRoomDialog(RoomFormDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._name(
            window_title=self.tr("Create a room"),
            invite_only=self.tr("&Invite only (not listed; join by link)"),
            ok_text=self.tr("&Create"),
            ok_name=self.tr("Create room"),
        )
        self.form.addRow(self.invite_only)
        self._end_form()
