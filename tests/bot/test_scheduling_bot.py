"""panggung-bot and scheduled rooms: the real server and bot processes."""

import os
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import pytest

from tests.server.http.conftest import PASSWORD
from tests.server.http.test_cli import BIN, ServerProcess, bot, last_json

pytestmark = pytest.mark.timeout(120)


def test_schedule_remind_start_and_the_calendar_file(tmp_path: Path) -> None:
    server = ServerProcess(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        url = server.url
        bot(url, "--user", "cara", "--register")
        ics = tmp_path / "talk.ics"
        planned = last_json(
            bot(
                url,
                "--user",
                "hana",
                "--register",
                "--schedule",
                "Bot talk",
                "--topic",
                "scheduled by a bot",
                "--in",
                "3600",
                "--cohost",
                "cara",
                "--ics",
                str(ics),
                "--json",
            ).stdout
        )["scheduled"]
        assert isinstance(planned, dict)
        schedule_id = planned["schedule_id"]
        assert (planned["title"], planned["cohosts"], planned["status"]) == (
            "Bot talk",
            ["cara"],
            "scheduled",
        )
        event = icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT")[0]
        assert str(event["summary"]) == "Bot talk"
        assert event.decoded("dtstart") == datetime.fromtimestamp(int(planned["starts_at"]), UTC)

        reminded = last_json(
            bot(url, "--user", "fajar", "--register", "--remind", schedule_id, "--json").stdout
        )["scheduled"]
        assert isinstance(reminded, dict) and reminded["reminded"] is True
        # The fan waits for the host to go live (the start reminder's timing is
        # tests/server/http/test_scheduled_rooms.py's: bots take seconds to start here).
        fan = subprocess.Popen(
            [
                *(str(BIN / "panggung-bot"), "--server", url, "--user", "fajar"),
                *("--wait-notices", "1", "--stay", "50", "--json"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PANGGUNG_PASSWORD": PASSWORD},
        )
        upcoming = last_json(bot(url, "--user", "cara", "--upcoming", "--json").stdout)["upcoming"]
        assert isinstance(upcoming, list)
        assert [r["schedule_id"] for r in upcoming] == [schedule_id]
        # Start now, long before the start time: the fan is told it is live.
        time.sleep(2.0)  # whether the fan signed in by now or later, the notice reaches it
        started = bot(url, "--user", "hana", "--start", schedule_id, "--stay", "1", "--json")
        room = last_json(started.stdout)["room"]
        assert isinstance(room, dict)
        roles = {m["name"]: (m["role"], m["connected"]) for m in room["members"]}
        assert roles["cara"] == ("cohost", False) and roles["hana"] == ("host", True)
        out, err = fan.communicate(timeout=60)
        assert fan.returncode == 0, err
        notices = last_json(out)["notices"]
        assert isinstance(notices, list)
        assert [n["kind"] for n in notices] == ["live"]
        assert notices[0]["room"]["room_id"] == room["room_id"]
        assert "notice live:" in err
    finally:
        server.stop()


def test_hostile_scheduling_is_refused_with_its_code(tmp_path: Path) -> None:
    server = ServerProcess(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        refused = bot(
            server.url,
            "--user",
            "hana",
            "--register",
            "--schedule",
            "Too late",
            "--at",
            "2001-01-01T10:00+00:00",
            check=False,
        )
        assert refused.returncode == 1
        assert "bad_start_time" in refused.stderr
        unseen = bot(server.url, "--user", "eko", "--register", "--remind", "nope", check=False)
        assert unseen.returncode == 1 and "schedule_not_found" in unseen.stderr
        bad_zone = bot(
            server.url, "--user", "eko", "--upcoming", "--tz", "Mars/Olympus", check=False
        )
        assert bad_zone.returncode == 2 and "no such time zone" in bad_zone.stderr
    finally:
        server.stop()
