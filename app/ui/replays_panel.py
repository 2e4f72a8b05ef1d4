"""The directory's Replays section: the finished recordings this user may
play, newest first; Play opens the player; the room's host makes a replay
public or private, or deletes it."""

from collections.abc import Callable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.client.app_state import Phase
from app.client.upcoming import when_text
from app.protocol.model import ReplayChoice, ReplayInfo
from app.ui.admin_panel import question_box
from app.ui.controller import SessionController
from app.ui.list_table import list_table
from app.ui.plain_text import tooltip
from app.ui.replay_player import ReplayPlayerWindow, clock

COLUMNS = [
    str(QT_TRANSLATE_NOOP("ReplaysPanel", "Title")),
    str(QT_TRANSLATE_NOOP("ReplaysPanel", "Recorded")),
    str(QT_TRANSLATE_NOOP("ReplaysPanel", "Length")),
    str(QT_TRANSLATE_NOOP("ReplaysPanel", "Who may play it")),
]
PUBLIC = str(QT_TRANSLATE_NOOP("ReplaysPanel", "The room's audience"))
PRIVATE = str(QT_TRANSLATE_NOOP("ReplaysPanel", "Moderators only"))


class ReplaysPanel(QWidget):
    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self.heading = QLabel(self.tr("<b>Replays</b>"))
        self.table = list_table("ReplaysPanel", COLUMNS, {0}, self.tr("Replays"))
        self.empty = QLabel(self.tr("No replays yet. A host can keep a recorded room's."))
        self.play = QPushButton(self.tr("Pla&y replay"))
        self.play.setAccessibleName(self.tr("Play the selected replay"))
        self.share = QPushButton(self.tr("Make p&ublic"))
        self.share.setAccessibleName(self.tr("Change who may play the replay"))
        self.delete = QPushButton(self.tr("Dele&te replay"))
        self.delete.setAccessibleName(self.tr("Delete the selected replay"))
        buttons = QHBoxLayout()
        for button in (self.play, self.share, self.delete):
            buttons.addWidget(button)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)
        self.player_window: ReplayPlayerWindow | None = None

        self.play.clicked.connect(self._play)
        self.table.cellActivated.connect(lambda _row, _col: self._play())
        self.share.clicked.connect(self._share)
        self.delete.clicked.connect(self._delete)
        self.table.itemSelectionChanged.connect(self._selection)
        controller.roomsChanged.connect(self.refresh)
        controller.phaseChanged.connect(lambda _phase: self._selection())
        # Replaced by the tests (no modal loops there).
        self.confirm: Callable[[str], bool] = self._ask
        self._selection()

    def refresh(self) -> None:
        replays = self._controller.session.replays.replays
        selected = self.selected()
        selected_id = selected.recording_id if selected is not None else None
        self.table.setRowCount(len(replays))
        for row, info in enumerate(replays):
            title = info.room_title + (" 🔒" if info.invite_only else "")
            who = PUBLIC if info.visibility == "public" else PRIVATE
            cells = [
                title,
                when_text(info.started_at),
                clock(info.duration),
                QCoreApplication.translate("ReplaysPanel", who),
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 0:
                    item.setToolTip(tooltip(info.room_title))
                item.setData(Qt.ItemDataRole.UserRole, info.recording_id)
                self.table.setItem(row, col, item)
            if info.recording_id == selected_id:
                self.table.selectRow(row)
        self.empty.setVisible(not replays)
        self.table.setVisible(bool(replays))
        self._selection()

    def selected(self) -> ReplayInfo | None:
        items = self.table.selectedItems()
        if not items:
            return None
        recording_id = int(items[0].data(Qt.ItemDataRole.UserRole))
        return self._controller.session.replays.find(recording_id)

    def _selection(self) -> None:
        info = self.selected()
        in_room = self._controller.session.phase is Phase.IN_ROOM
        self.play.setEnabled(info is not None and not in_room)
        mine = info is not None and info.manage
        self.share.setEnabled(mine)
        self.delete.setEnabled(mine)
        public = info is not None and info.visibility == "public"
        self.share.setText(self.tr("Make pri&vate") if public else self.tr("Make p&ublic"))

    def _play(self) -> None:
        info = self.selected()
        if info is None or not self.play.isEnabled():
            return
        self._controller.run(self._open(info), busy=True)

    async def _open(self, info: ReplayInfo) -> None:
        old, self.player_window = self.player_window, None
        if old is not None:
            old.close()  # stops the replay it played
        if not await self._controller.session.play_replay(info.recording_id):
            return
        window = self.player_window = ReplayPlayerWindow(self._controller, info, self)
        window.show()

    def _share(self) -> None:
        info = self.selected()
        if info is None:
            return
        choice: ReplayChoice = "private" if info.visibility == "public" else "public"
        session = self._controller.session
        self._controller.run(session.choose_replay(info.recording_id, choice))

    def _delete(self) -> None:
        info = self.selected()
        if info is None:
            return
        question = self.tr("Delete the replay of “{title}” for good?").format(title=info.room_title)
        if self.confirm(question):
            session = self._controller.session
            self._controller.run(session.choose_replay(info.recording_id, "deleted"))

    def _ask(self, question: str) -> bool:
        return question_box(self, question).exec() == QMessageBox.StandardButton.Yes
