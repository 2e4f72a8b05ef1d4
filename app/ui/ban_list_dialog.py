"""The room's ban list, for moderators: who is banned (by name), and Unban.

The server decides who may read it and lift a ban; a refusal comes back as
an error notice. The list is read when the dialog opens and after each
unban, so it never shows a ban that is gone.
"""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.protocol.requests import Unban
from app.ui.controller import SessionController
from app.ui.dialog_buttons import dialog_buttons
from app.ui.plain_text import isolate


class BanListDialog(QDialog):
    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self.setWindowTitle(self.tr("Banned from this room"))
        self.setAccessibleName(self.tr("Ban list"))
        self.bans = QListWidget()
        self.bans.setAccessibleName(self.tr("Banned users"))
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.unban = QPushButton(self.tr("&Unban"))
        self.unban.setAccessibleName(self.tr("Unban the chosen user"))
        self.unban.setEnabled(False)
        self.buttons = dialog_buttons(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.unban)
        layout = QVBoxLayout(self)
        layout.addWidget(self.bans)
        layout.addLayout(row)
        layout.addWidget(self.buttons)
        self.bans.currentItemChanged.connect(lambda item, _old: self.unban.setEnabled(bool(item)))
        self.unban.clicked.connect(lambda: controller.run(self.unban_chosen()))
        self.resize(360, 320)

    async def load(self) -> bool:
        """Read the list from the server; False when refused."""
        listed = await self._controller.session.list_bans()
        if listed is None:
            return False
        self.bans.clear()
        for banned in listed.bans:
            item = QListWidgetItem(isolate(banned.name))  # item text is plain text
            item.setData(Qt.ItemDataRole.UserRole, banned.user_id)
            self.bans.addItem(item)
        if listed.total == 0:
            self.status.setText(self.tr("Nobody is banned."))
        elif listed.total > len(listed.bans):
            self.status.setText(
                self.tr("{shown} of {total} banned users").format(
                    shown=len(listed.bans), total=listed.total
                )
            )
        else:
            self.status.setText(self.tr("{total} banned").format(total=listed.total))
        self.unban.setEnabled(self.bans.currentItem() is not None)
        return True

    async def unban_chosen(self) -> bool:
        item = self.bans.currentItem()
        if item is None:
            return False
        user_id = int(item.data(Qt.ItemDataRole.UserRole))
        if not await self._controller.session.act(Unban(user_id=user_id)):
            return False
        await self.load()
        return True

    def names(self) -> list[str]:
        return [self.bans.item(i).text() for i in range(self.bans.count())]
