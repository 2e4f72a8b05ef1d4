"""The room directory: live rooms (refreshed every few seconds), create a
room, or join one by a pasted panggung:// or http link."""

import html
from collections.abc import Callable

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.controller import SessionController
from app.ui.create_room_dialog import CreateRoomDialog
from app.ui.list_table import list_table
from app.ui.plain_text import tooltip
from app.ui.replays_panel import ReplaysPanel
from app.ui.upcoming_panel import UpcomingPanel

COLUMNS = [
    str(QT_TRANSLATE_NOOP("DirectoryView", "Title")),
    str(QT_TRANSLATE_NOOP("DirectoryView", "Topic")),
    str(QT_TRANSLATE_NOOP("DirectoryView", "Host")),
    str(QT_TRANSLATE_NOOP("DirectoryView", "Speakers")),
    str(QT_TRANSLATE_NOOP("DirectoryView", "Listeners")),
]


class DirectoryView(QWidget):
    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self.who = QLabel()
        self.sign_out = QPushButton(self.tr("Sign &out"))
        self.sign_out.setAccessibleName(self.tr("Sign out"))
        self.search = QLineEdit()
        self.search.setAccessibleName(self.tr("Search rooms"))
        self.search.setPlaceholderText(self.tr("Find a room by title, topic or host…"))
        # Tab leaves the table (arrows move in it): Join and the rest stay reachable.
        self.table = list_table("DirectoryView", COLUMNS, {0, 1}, self.tr("Live rooms"))
        self.join = QPushButton(self.tr("&Join"))
        self.join.setAccessibleName(self.tr("Join selected room"))
        self.create_button = QPushButton(self.tr("&Create room…"))
        self.create_button.setAccessibleName(self.tr("Create room"))
        self.link = QLineEdit()
        self.link.setPlaceholderText(self.tr("Paste a panggung:// or http link"))
        self.link.setAccessibleName(self.tr("Room link"))
        self.join_link = QPushButton(self.tr("Join &link"))
        self.join_link.setAccessibleName(self.tr("Join link"))
        self.empty = QLabel(self.tr("No live rooms yet. Create one!"))
        self.upcoming = UpcomingPanel(controller)
        self.replays = ReplaysPanel(controller)

        top = QHBoxLayout()
        top.addWidget(self.who, 1)
        top.addWidget(self.sign_out)
        actions = QHBoxLayout()
        actions.addWidget(self.join)
        actions.addWidget(self.create_button)
        actions.addStretch()
        links = QHBoxLayout()
        links.addWidget(self.link, 1)
        links.addWidget(self.join_link)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addLayout(actions)
        layout.addLayout(links)
        layout.addWidget(self.upcoming, 1)
        layout.addWidget(self.replays, 1)

        session = controller.session
        self.sign_out.clicked.connect(lambda: controller.run(session.sign_out()))
        self.join.clicked.connect(self._join_selected)
        self.table.cellActivated.connect(lambda _row, _col: self._join_selected())
        self.create_button.clicked.connect(self._create)
        self.join_link.clicked.connect(self._join_link)
        self.link.returnPressed.connect(self._join_link)
        controller.roomsChanged.connect(self.refresh)
        self.search.textChanged.connect(lambda _text: self._filter())
        # A dialog factory the tests replace (no modal loops in tests).
        self.make_dialog: Callable[[], CreateRoomDialog] = lambda: CreateRoomDialog(self)

    def refresh(self) -> None:
        session = self._controller.session
        self.who.setText(
            self.tr("Signed in as <b>{user}</b> on {server}").format(
                user=html.escape(session.username), server=html.escape(session.server_label)
            )
        )
        selected = self.selected_room_id()
        rooms = session.rooms
        self.table.setRowCount(len(rooms))
        for row, room in enumerate(rooms):
            title = room.title + (" 🔒" if room.locked else "")
            cells = [title, room.topic, room.host_name, str(room.speakers), str(room.listeners)]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col < 2:  # cut short by the column: the whole of it on hover
                    item.setToolTip(tooltip(text))
                item.setData(Qt.ItemDataRole.UserRole, room.room_id)
                self.table.setItem(row, col, item)
            if room.room_id == selected:
                self.table.selectRow(row)
        self.empty.setVisible(not rooms)
        self._filter()

    def _filter(self) -> None:
        """Show the rooms whose title, topic or host holds every word typed."""
        words = self.search.text().casefold().split()
        for row in range(self.table.rowCount()):
            cells = (self.table.item(row, col) for col in range(3))
            text = " ".join(c.text() for c in cells if c is not None).casefold()
            self.table.setRowHidden(row, not all(w in text for w in words))

    def selected_room_id(self) -> str | None:
        items = self.table.selectedItems()
        return str(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def _join_selected(self) -> None:
        room_id = self.selected_room_id()
        if room_id is None and self.table.rowCount() == 1:
            first = self.table.item(0, 0)
            room_id = str(first.data(Qt.ItemDataRole.UserRole)) if first else None
        if room_id is not None:
            self._controller.run(self._controller.session.join(room_id), busy=True)

    def _join_link(self) -> None:
        text = self.link.text().strip()
        if text:
            self._controller.run(self._controller.session.join_link(text), busy=True)

    def _create(self) -> None:
        dialog = self.make_dialog()
        dialog.accepted.connect(lambda: self._created(dialog))
        dialog.open()

    def _created(self, dialog: QDialog) -> None:
        assert isinstance(dialog, CreateRoomDialog)
        session = self._controller.session
        self._controller.run(
            session.create_room(
                dialog.title.text().strip(),
                dialog.topic.text().strip(),
                dialog.invite_only.isChecked(),
            ),
            busy=True,
        )
