"""The sound devices' part of ``panggung --self-test``: PortAudio loads, and
WebRTC's audio processing (livekit's native library) runs.

Opens and closes a PortAudio session and counts devices; a machine without
sound devices passes (the library is what a build must carry). The voice
processing cancels a tone played to the speakers and heard back 30 ms later.
"""

import numpy as np
import pyaudio

from app.audio.apm import VoiceProcessor, run_through
from app.audio.processing import ProcessingSettings
from app.dsp.analysis import rms_dbfs
from app.dsp.signals import to_int16, tone


def check_portaudio() -> str:
    pa = pyaudio.PyAudio()
    try:
        apis = [
            str(pa.get_host_api_info_by_index(i)["name"]) for i in range(pa.get_host_api_count())
        ]
        devices = [pa.get_device_info_by_index(i) for i in range(pa.get_device_count())]
    finally:
        pa.terminate()
    inputs = sum(1 for d in devices if int(d["maxInputChannels"]) > 0)
    outputs = sum(1 for d in devices if int(d["maxOutputChannels"]) > 0)
    return (
        f"{pyaudio.get_portaudio_version_text()}: host APIs {', '.join(apis) or 'none'}; "
        f"{inputs} input and {outputs} output devices"
    )


def check_voice_processing() -> str:
    played = to_int16(tone(440.0, 48_000 * 3, amplitude=0.3))
    echo = np.concatenate([np.zeros(1440, dtype=np.int16), played[:-1440] // 2])
    out = run_through(VoiceProcessor(ProcessingSettings(noise_suppression=False)), echo, played)
    before, after = rms_dbfs(echo[-48_000:]), rms_dbfs(out[-48_000:])
    if not after < before - 20:
        raise RuntimeError(f"the echo canceller left {after:.1f} dBFS of {before:.1f} dBFS")
    return f"WebRTC APM (livekit): a 440 Hz echo at {before:.1f} dBFS cancelled to {after:.1f} dBFS"
