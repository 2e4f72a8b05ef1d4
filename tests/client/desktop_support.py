"""Helpers for tests of the desktop session: a tone microphone and waiting."""

import asyncio
import time
from collections.abc import Callable

import numpy as np

from app.client.audio_backend import FRAME, Frame, PullAudio


class ToneAudio(PullAudio):
    """A microphone that hears a steady 440 Hz tone, so that the server
    reports a speaking level while push-to-talk is held."""

    def __init__(self) -> None:
        super().__init__()
        self._n = 0

    def capture(self) -> Frame:
        t = (np.arange(FRAME) + self._n) / 48_000
        self._n += FRAME
        return (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)


async def until(predicate: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    """Poll `predicate`; generous timeouts: the test machines are small and busy."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.05)
