"""Regenerate the demo room's speech clips in resources/demo/ (issue 4).

Each clip is spoken by espeak-ng with its own voice, resampled to 48 kHz mono
and stored as Ogg/Opus (small enough to ship). Run from the repository root:

    .venv/bin/python scripts/make_demo_speech.py [NAME ...]

With names (e.g. greeting-host-en), only those clips are made.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import av
import numpy as np

from app.media.wavfile import RATE, read_audio

OUT = Path(__file__).resolve().parent.parent / "resources" / "demo"

# name, espeak-ng voice, speed (words/min), pitch, text
CLIPS = [
    ("01-ayu-en", "en-us+f3", 160, 60,
     "Hi, welcome to Panggung! This is the demo room. You are listening live."),
    ("02-budi-id", "id+m3", 155, 45,
     "Halo semuanya, selamat datang di Panggung. Senang sekali kalian bergabung."),
    ("03-ayu-id", "id+f2", 160, 65,
     "Angkat tangan kalau mau bicara, nanti host mengajak kamu naik ke panggung."),
    ("04-budi-en", "en-gb+m4", 150, 40,
     "Press and hold the talk key to speak. Let go when you are done. Enjoy!"),
    # The host's hello to a guest it brings up (app/server/demo_host.py).
    ("greeting-host-en", "en-us+m1", 155, 50,
     "Hello, and welcome up to the stage! Hold the talk key and say something. "
     "In a minute I will move you back to the audience, so the next person can try."),
]  # fmt: skip


def synthesize(voice: str, speed: int, pitch: int, text: str) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "clip.wav"
        cmd = ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(wav), text]
        subprocess.run(cmd, check=True)
        samples = read_audio(wav)
    peak = int(np.max(np.abs(samples.astype(np.int32)))) or 1
    return (samples.astype(np.float64) * (0.7 * 32767 / peak)).astype(np.int16)


def write_opus(path: Path, samples: np.ndarray, bitrate: int = 24_000) -> None:
    with av.open(str(path), "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=RATE)
        stream.bit_rate = bitrate
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    wanted = set(sys.argv[1:])
    for name, voice, speed, pitch, text in CLIPS:
        if wanted and name not in wanted:
            continue
        path = OUT / f"{name}.opus"
        write_opus(path, synthesize(voice, speed, pitch, text))
        print(f"{path.name}: {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
