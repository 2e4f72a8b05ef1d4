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
