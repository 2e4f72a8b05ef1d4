"""The sound devices' part of ``panggung --self-test``: PortAudio loads.

Opens and closes a PortAudio session and counts devices; a machine without
sound devices passes (the library is what a build must carry).
"""

import pyaudio


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
