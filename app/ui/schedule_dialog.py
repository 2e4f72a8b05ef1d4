"""The dialog that plans a room for later: title, topic, start time in the
user's own time zone, invite-only, and who is invited ahead onto the stage."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import QDateTimeEdit, QLabel, QLineEdit, QWidget

from app.client.scheduling import from_local, local_time, local_zone
from app.protocol.requests import MAX_INVITED_AHEAD
from app.ui.room_form import RoomFormDialog


def names_of(text: str) -> list[str]:
    """Usernames typed with commas or spaces between them."""
    return [name for name in text.replace(",", " ").split() if name]


class ScheduleDialog(RoomFormDialog):
    def __init__(
        self, parent: QWidget | None = None, zone: ZoneInfo | None = None, now: float | None = None
    ) -> None:
        super().__init__(parent)
        self.zone = zone if zone is not None else local_zone()
        self._name(
            window_title=self.tr("Schedule a room"),
            invite_only=self.tr("&Invite only (shown only to those invited ahead)"),
            ok_text=self.tr("&Schedule"),
            ok_name=self.tr("Schedule room"),
        )
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
        self.cohosts = QLineEdit()
        self.cohosts.setAccessibleName(self.tr("Co-hosts invited ahead"))
        self.cohosts.setPlaceholderText(self.tr("usernames, separated by commas"))
        self.speakers = QLineEdit()
        self.speakers.setAccessibleName(self.tr("Speakers invited ahead"))
        self.speakers.setPlaceholderText(self.tr("usernames, separated by commas"))
        self.form.addRow(self.tr("&Starts"), self.starts)
        self.form.addRow(self.zone_label)
        self.form.addRow(self.invite_only)
        self.form.addRow(self.tr("&Co-hosts"), self.cohosts)
        self.form.addRow(self.tr("S&peakers"), self.speakers)
        self._end_form()

    def starts_at(self) -> float:
        """The chosen start, UTC epoch seconds (the editor holds wall-clock time here)."""
        chosen = self.starts.dateTime().toPython()
        assert isinstance(chosen, datetime)
        return from_local(chosen.replace(tzinfo=None), self.zone)

    def _problem(self) -> str | None:
        if self.starts_at() < datetime.now().timestamp():
            return self.tr("Pick a start time that has not passed.")
        invited = names_of(self.cohosts.text()) + names_of(self.speakers.text())
        if len(invited) > MAX_INVITED_AHEAD:
            return self.tr("Invite at most {count} people ahead.").format(count=MAX_INVITED_AHEAD)
        return None
