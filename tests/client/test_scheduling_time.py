"""Scheduled rooms' times on the client: wall-clock time in a zone <-> UTC epoch."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.client.scheduling import from_local, local_time, local_zone


def test_local_time_follows_the_zone_across_daylight_saving() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    winter = from_local(datetime(2026, 1, 15, 19, 0), berlin)
    summer = from_local(datetime(2026, 7, 15, 19, 0), berlin)
    assert datetime.fromtimestamp(winter, UTC).hour == 18
    assert datetime.fromtimestamp(summer, UTC).hour == 17
    assert local_time(summer, berlin).strftime("%H:%M %Z") == "19:00 CEST"
    assert local_time(winter, ZoneInfo("Asia/Jakarta")).strftime("%H:%M %Z") == "01:00 WIB"


def test_the_users_zone_comes_from_tz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Makassar")
    assert local_zone() == ZoneInfo("Asia/Makassar")
    # A name the tz database lacks falls back to the OS's own (never an error).
    monkeypatch.setenv("TZ", "Not/AZone")
    assert local_zone() != ZoneInfo("Asia/Makassar")
