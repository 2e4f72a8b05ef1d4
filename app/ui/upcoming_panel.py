"""The directory's Upcoming section: scheduled rooms in the user's own time,
reminders, an .ics calendar file, and the host's Start now and Cancel."""

import html
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.client.upcoming import when_text
from app.protocol.model import ScheduledRoom
from app.ui.controller import SessionController
from app.ui.list_table import list_table
from app.ui.plain_text import tooltip
from app.ui.schedule_dialog import ScheduleDialog, names_of

COLUMNS = [
    str(QT_TRANSLATE_NOOP("UpcomingPanel", "Starts")),
    str(QT_TRANSLATE_NOOP("UpcomingPanel", "Title")),
    str(QT_TRANSLATE_NOOP("UpcomingPanel", "Host")),
    str(QT_TRANSLATE_NOOP("UpcomingPanel", "Reminders")),
]


class UpcomingPanel(QWidget):
    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self.heading = QLabel(self.tr("<b>Upcoming</b>"))
        self.table = list_table("UpcomingPanel", COLUMNS, {1}, self.tr("Upcoming rooms"))
        self.empty = QLabel(self.tr("Nothing scheduled. Plan a room for later!"))
        self.schedule = QPushButton(self.tr("&Schedule…"))
        self.schedule.setAccessibleName(self.tr("Schedule a room"))
        self.remind = QPushButton(self.tr("&Remind me"))
        self.remind.setAccessibleName(self.tr("Remind me"))
        self.calendar = QPushButton(self.tr("Add to cal&endar…"))
        self.calendar.setAccessibleName(self.tr("Save a calendar file"))
        self.start = QPushButton(self.tr("Start &now"))
        self.start.setAccessibleName(self.tr("Start now"))
        self.cancel = QPushButton(self.tr("Cancel room"))
        self.cancel.setAccessibleName(self.tr("Cancel scheduled room"))
        buttons = QHBoxLayout()
        for button in (self.schedule, self.remind, self.calendar, self.start, self.cancel):
            buttons.addWidget(button)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)

        self.schedule.clicked.connect(self._schedule)
        self.remind.clicked.connect(self._remind)
        self.calendar.clicked.connect(self._calendar)
        self.start.clicked.connect(self._start)
        self.cancel.clicked.connect(self._cancel)
        self.table.itemSelectionChanged.connect(self._selection)
        controller.roomsChanged.connect(self.refresh)
        # Replaced by the tests (no modal loops there).
        self.make_dialog: Callable[[], ScheduleDialog] = lambda: ScheduleDialog(self)
        self.choose_path: Callable[[str], str | None] = self._ask_path
        self._selection()

    def refresh(self) -> None:
        session = self._controller.session
        selected = self.selected()
        selected_id = selected.schedule_id if selected is not None else None
        rooms = session.upcoming.rooms
        self.table.setRowCount(len(rooms))
        for row, room in enumerate(rooms):
            title = room.title + (" 🔒" if room.invite_only else "")
            mark = "🔔 " if room.reminded else ""
            cells = [
                when_text(room.starts_at, session.upcoming.zone),
                title,
                room.host_name,
                f"{mark}{room.reminders}",
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 1:
                    item.setToolTip(tooltip(f"{room.title}\n{room.topic}".strip()))
                item.setData(Qt.ItemDataRole.UserRole, room.schedule_id)
                self.table.setItem(row, col, item)
            if room.schedule_id == selected_id:
                self.table.selectRow(row)
        self.empty.setVisible(not rooms)
        self.table.setVisible(bool(rooms))
        self._selection()

    def selected(self) -> ScheduledRoom | None:
        items = self.table.selectedItems()
        if not items:
            return None
        return self._controller.session.upcoming.find(str(items[0].data(Qt.ItemDataRole.UserRole)))

    def _selection(self) -> None:
        room = self.selected()
        mine = room is not None and room.host_id == self._controller.session.user_id
        self.remind.setEnabled(room is not None)
        self.remind.setText(
            self.tr("Don't &remind me")
            if room is not None and room.reminded
            else self.tr("&Remind me")
        )
        self.calendar.setEnabled(room is not None)
        self.start.setEnabled(mine)
        self.cancel.setEnabled(mine)

    def _schedule(self) -> None:
        dialog = self.make_dialog()
        dialog.accepted.connect(lambda: self._scheduled(dialog))
        dialog.open()

    def _scheduled(self, dialog: ScheduleDialog) -> None:
        session = self._controller.session
        title, starts_at = dialog.title.text().strip(), dialog.starts_at()
        topic, invite_only = dialog.topic.text().strip(), dialog.invite_only.isChecked()
        cohosts, speakers = names_of(dialog.cohosts.text()), names_of(dialog.speakers.text())
        self._controller.run(
            session.scheduling(
                lambda client: session.upcoming.schedule(
                    client, title, starts_at, topic, invite_only, cohosts, speakers
                )
            ),
            busy=True,
        )

    def _remind(self) -> None:
        room = self.selected()
        if room is None:
            return
        session = self._controller.session
        on = not room.reminded
        self._controller.run(
            session.scheduling(lambda client: session.upcoming.remind(client, room.schedule_id, on))
        )

    def _start(self) -> None:
        room = self.selected()
        if room is not None:
            self._controller.run(
                self._controller.session.start_scheduled(room.schedule_id), busy=True
            )

    def _cancel(self) -> None:
        room = self.selected()
        if room is None:
            return
        session = self._controller.session
        self._controller.run(
            session.scheduling(lambda client: session.upcoming.cancel(client, room.schedule_id))
        )

    def _calendar(self) -> None:
        room = self.selected()
        if room is None:
            return
        path = self.choose_path(f"{room.title}.ics")
        if not path:
            return
        session = self._controller.session
        try:
            session.upcoming.save_calendar(room.schedule_id, Path(path), session.server_label)
        except OSError as exc:
            self._controller.errorRaised.emit(
                self.tr("Could not save {path}: {error}").format(
                    path=html.escape(path), error=html.escape(exc.strerror or str(exc))
                )
            )
            return
        self._controller.noticeRaised.emit(
            "info", self.tr("Saved the calendar file {path}.").format(path=path)
        )

    def _ask_path(self, suggested: str) -> str | None:
        path, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Save a calendar file"), suggested, self.tr("Calendar files (*.ics)")
        )
        return path or None
