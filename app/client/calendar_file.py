"""An .ics calendar file for a scheduled room (RFC 5545, by the icalendar library)."""

from datetime import UTC, datetime, timedelta

from app.protocol.model import ScheduledRoom

# Rooms have no planned end; calendars want one. An hour is what most Spaces
# and Stage events last, and people move it in their own calendar.
DURATION = timedelta(hours=1)


def calendar_file(room: ScheduledRoom, server: str, now: datetime | None = None) -> bytes:
    """The room as a one-event calendar; `server` (host:port) makes its UID unique."""
    # Imported on first use: with its time-zone and date parsing it is ~7 MB
    # and ~100 modules that a listening app never needs (issue 18 point 11).
    import icalendar

    start = datetime.fromtimestamp(int(room.starts_at), UTC)  # iCalendar counts whole seconds
    event = icalendar.Event()
    event.add("uid", f"{room.schedule_id}@{server}")
    event.add("dtstamp", now or datetime.now(UTC))
    event.add("dtstart", start)
    event.add("dtend", start + DURATION)
    event.add("summary", room.title)
    hosted = f"Hosted by {room.host_name} on Panggung ({server})."
    event.add("description", f"{room.topic}\n\n{hosted}" if room.topic else hosted)
    if room.status == "cancelled":
        event.add("status", "CANCELLED")
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Panggung//Scheduled rooms//EN")
    cal.add("version", "2.0")
    cal.add_component(event)
    ical: bytes = cal.to_ical()
    return ical
