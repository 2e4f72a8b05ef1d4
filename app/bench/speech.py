"""Real speech for voice measurements: espeak-ng, read back at 48 kHz mono."""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from app.media.wavfile import read_audio

# Two talkers who sound different: the far end (a room member heard through
# the laptop's speakers) and the near end (the person at the laptop).
FAR_TEXT = (
    "Welcome to the town hall. Tonight we talk about the new bus routes, "
    "the market by the river, and who will fix the bridge before the rains."
)
NEAR_TEXT = (
    "Hello everyone, I am speaking from my laptop in a busy cafe. "
    "Can you all hear me clearly over the noise?"
)


@functools.lru_cache(maxsize=16)
def speak(text: str, voice: str = "en") -> NDArray[np.int16]:
    """``text`` spoken by espeak-ng (``voice`` as its ``-v``), 48 kHz mono int16."""
    if shutil.which("espeak-ng") is None:
        raise RuntimeError("espeak-ng is not installed (Debian: apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory(prefix="panggung-speech-") as tmp:
        path = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True)
        pcm = read_audio(path)
    pcm.setflags(write=False)  # shared by the cache
    return pcm


def far_speech() -> NDArray[np.int16]:
    return speak(FAR_TEXT, "en")


def near_speech() -> NDArray[np.int16]:
    return speak(NEAR_TEXT, "en-us+f3")
