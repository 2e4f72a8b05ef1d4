"""The dialog that plans a room for later: title, topic, start time in the
user's own time zone, invite-only, and who is invited ahead onto the stage."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from app.client.scheduling import from_local, local_time, local_zone
from app.protocol.requests import MAX_INVITED_AHEAD, MAX_TITLE, MAX_TOPIC
from app.ui.dialog_buttons import dialog_buttons


def names_of(text: str) -> list[str]:
    """Usernames typed with commas or spaces between them."""
    return [name for name in text.replace(",", " ").split() if name]


class ScheduleDialog(QDialog):
    def __init__(
        self, parent: QWidget | None = None, zone: ZoneInfo | None = None, now: float | None = None
    ) -> None:
        super().__init__(parent)
        self.zone = zone if zone is not None else local_zone()
        self.setWindowTitle(self.tr("Schedule a room"))
        self.title = QLineEdit()
        self.title.setMaxLength(MAX_TITLE)
        self.title.setAccessibleName(self.tr("Room title"))
        self.topic = QLineEdit()
        self.topic.setMaxLength(MAX_TOPIC)
        self.topic.setAccessibleName(self.tr("Room topic"))
        # Wall-clock time in the user's zone; converted with zoneinfo, not Qt's.
        start = local_time(now if now is not None else datetime.now().timestamp(), self.zone)
        start = (start + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        self.starts = QDateTimeEdit()
        self.starts.setCalendarPopup(True)
        self.starts.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.starts.setDateTime(
            QDateTime(start.year, start.month, start.day, start.hour, start.minute, 0)
        )
        self.starts.setAccessibleName(self.tr("Start time"))
        zone_name = start.tzname() or ""
        self.zone_label = QLabel(
            self.tr("Times are in your time zone ({zone}).").format(zone=zone_name)
        )
        self.invite_only = QCheckBox(self.tr("&Invite only (shown only to those invited ahead)"))
        self.invite_only.setAccessibleName(self.tr("Invite only"))
        self.cohosts = QLineEdit()
        self.cohosts.setAccessibleName(self.tr("Co-hosts invited ahead"))
        self.cohosts.setPlaceholderText(self.tr("usernames, separated by commas"))
        self.speakers = QLineEdit()
        self.speakers.setAccessibleName(self.tr("Speakers invited ahead"))
        self.speakers.setPlaceholderText(self.tr("usernames, separated by commas"))
        self.problem = QLabel()
        self.problem.hide()
        self.buttons = dialog_buttons(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("&Schedule"))
        ok.setAccessibleName(self.tr("Schedule room"))
        form = QFormLayout(self)
        form.addRow(self.tr("&Title"), self.title)
        form.addRow(self.tr("T&opic"), self.topic)
        form.addRow(self.tr("&Starts"), self.starts)
        form.addRow(self.zone_label)
        form.addRow(self.invite_only)
        form.addRow(self.tr("&Co-hosts"), self.cohosts)
        form.addRow(self.tr("S&peakers"), self.speakers)
        form.addRow(self.problem)
        form.addRow(self.buttons)
        self.buttons.accepted.connect(self._check)
        self.buttons.rejected.connect(self.reject)

    def starts_at(self) -> float:
        """The chosen start, UTC epoch seconds (the editor holds wall-clock time here)."""
        chosen = self.starts.dateTime().toPython()
        assert isinstance(chosen, datetime)
        return from_local(chosen.replace(tzinfo=None), self.zone)

    def _check(self) -> None:
        if not self.title.text().strip():
            self._refuse(self.tr("Give the room a title."))
            return
        if self.starts_at() < datetime.now().timestamp():
            self._refuse(self.tr("Pick a start time that has not passed."))
            return
        invited = names_of(self.cohosts.text()) + names_of(self.speakers.text())
        if len(invited) > MAX_INVITED_AHEAD:
            self._refuse(
                self.tr("Invite at most {count} people ahead.").format(count=MAX_INVITED_AHEAD)
            )
            return
        self.accept()

    def _refuse(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.show()
