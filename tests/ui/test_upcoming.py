"""The directory's Upcoming section against a real server: scheduling in the
user's own time, a reminder asked for in one window and delivered to it when
the host, in another, presses Start now; the .ics file; the invited in place."""

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtTest import QTest

from app.client.app_state import Phase
from app.client.scheduling import local_time
from app.client.session import RoomClient
from app.client.upcoming import when_text
from app.server.app import RunningServer
from app.ui.schedule_dialog import ScheduleDialog
from app.ui.shell import DesktopShell
from tests.client.desktop_support import until
from tests.ui.conftest import Run
from tests.ui.test_sign_in import PASSWORD, sign_in

LEFT = Qt.MouseButton.LeftButton


def test_schedule_remind_calendar_and_start_now(
    run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell], tmp_path: Path
) -> None:
    async def scenario() -> None:
        invited = RoomClient(server.url, client_name="test", reconnect=False)
        await invited.connect()
        await invited.register("citra", PASSWORD)
        host, fan = shells(server.url, name="host"), shells(server.url, name="fan")
        sign_in(host, "hana", PASSWORD, register=True)
        sign_in(fan, "fajar", PASSWORD, register=True)
        await until(
            lambda: host.session.phase is fan.session.phase is Phase.DIRECTORY, what="signed in"
        )
        panel = host.window.directory.upcoming
        assert panel.empty.isVisibleTo(host.window)

        dialogs: list[ScheduleDialog] = []

        def make() -> ScheduleDialog:
            dialogs.append(ScheduleDialog(host.window))
            return dialogs[-1]

        panel.make_dialog = make
        QTest.mouseClick(panel.schedule, LEFT)
        dialog = dialogs[0]
        dialog.title.setText("Evening talk")
        dialog.topic.setText("Plans for the week")
        start = (datetime.now() + timedelta(days=1)).replace(second=0, microsecond=0)
        dialog.starts.setDateTime(
            QDateTime(start.year, start.month, start.day, start.hour, start.minute, 0)
        )
        dialog.cohosts.setText("citra")
        dialog.accept()
        await until(lambda: panel.table.rowCount() == 1, what="upcoming row")
        room = host.session.upcoming.rooms[0]
        # Entered and shown as wall-clock time here, stored as UTC epoch seconds.
        assert local_time(room.starts_at).replace(tzinfo=None) == start
        cells = [panel.table.item(0, col) for col in range(2)]
        assert [c.text() if c else None for c in cells] == [
            when_text(room.starts_at),
            "Evening talk",
        ]
        assert room.cohosts == ["citra"]

        # The fan's window lists it too, and asks to be reminded.
        fan_panel = fan.window.directory.upcoming
        await fan.session.refresh_rooms()
        await until(lambda: fan_panel.table.rowCount() == 1, what="fan sees it")
        fan_panel.table.selectRow(0)
        assert not fan_panel.start.isEnabled() and not fan_panel.cancel.isEnabled()
        QTest.mouseClick(fan_panel.remind, LEFT)
        await until(lambda: fan.session.upcoming.rooms[0].reminded, what="reminded")
        assert fan_panel.remind.text() == "Don't &remind me"

        # The host saves a calendar file.
        await host.session.refresh_rooms()
        panel.table.selectRow(0)
        ics = tmp_path / "talk.ics"
        panel.choose_path = lambda _suggested: str(ics)
        QTest.mouseClick(panel.calendar, LEFT)
        event = icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT")[0]
        assert str(event["summary"]) == "Evening talk"
        assert event.decoded("dtstart").timestamp() == int(room.starts_at)

        told: list[tuple[str, str]] = []
        fan.controller.noticeRaised.connect(lambda kind, text: told.append((kind, text)))
        assert panel.start.isEnabled()
        QTest.mouseClick(panel.start, LEFT)
        await until(lambda: host.window.pages.currentWidget() is host.window.room, what="live")
        stage = host.window.room.stage.texts()
        assert len(stage) == 2 and stage[0].startswith("hana (you)") and "citra" in stage[1]
        await until(lambda: bool(told), what="the fan is told")
        assert told == [("reminder", "hana is live: Evening talk. Join it from the directory.")]
        await invited.close()

    run(scenario())
