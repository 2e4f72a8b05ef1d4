"""A listener's app never loads the voice processing library (livekit, ~12 MB
of the app's memory): it is loaded when a microphone first opens."""

import subprocess
import sys

PROGRAM = """
import sys
import app.desktop_main, app.ui.main_window, app.ui.settings_dialog, app.client.device_audio
from app.audio.engine import AudioEngine
from app.audio.processing import ProcessingSettings
engine = AudioEngine(capture=False, processing=ProcessingSettings())
engine.set_processing(ProcessingSettings(echo_cancellation=False))
assert engine.processor is None and engine.processing is not None
print(sorted(m for m in sys.modules if m.split(".")[0] == "livekit"))
"""


def test_a_listener_does_not_load_livekit() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout


CALENDAR = """
import sys
import app.desktop_main, app.ui.main_window, app.ui.upcoming_panel
print("icalendar" in sys.modules)
from app.client.calendar_file import calendar_file
from app.protocol.model import ScheduledRoom
room = ScheduledRoom(schedule_id="s1", title="t", topic="", starts_at=1.8e9, invite_only=False,
                     host_id=1, host_name="h", cohosts=[], speakers=[], status="scheduled")
made = calendar_file(room, "x:1")
print("icalendar" in sys.modules, b"BEGIN:VCALENDAR" in made)
"""


def test_the_calendar_library_loads_when_a_calendar_is_made() -> None:
    # ~7 MB and ~100 modules (icalendar and its time-zone parsing) that a
    # listening app never needs: imported by calendar_file's first call only.
    out = subprocess.run(
        [sys.executable, "-c", CALENDAR], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == ["False", "True", "True"], out.stdout
