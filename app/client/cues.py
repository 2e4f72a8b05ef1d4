"""Short audible cues for push-to-talk: a rising two-note blip when the
microphone opens, a falling one when it closes. Generated, not shipped.

`CuePlayer` follows a DesktopSession's push-to-talk (its `Change.PTT`
reports) and asks the audio backend to play the matching cue.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from app.client.desktop_session import Change, DesktopSession, Notice

RATE = 48_000
NOTE_S = 0.06
FADE_S = 0.005
AMPLITUDE = 0.25
NOTES = {"on": (660.0, 990.0), "off": (990.0, 660.0)}


def cue_tone(kind: str, rate: int = RATE) -> NDArray[np.int16]:
    """The cue for "on" or "off" as 48 kHz mono int16 (about 120 ms)."""
    n = round(NOTE_S * rate)
    fade = round(FADE_S * rate)
    envelope = np.ones(n)
    envelope[:fade] = np.linspace(0.0, 1.0, fade)
    envelope[-fade:] = np.linspace(1.0, 0.0, fade)
    t = np.arange(n) / rate
    notes = [np.sin(2 * np.pi * f * t) * envelope for f in NOTES[kind]]
    return (np.concatenate(notes) * AMPLITUDE * 32767).astype(np.int16)


class CuePlayer:
    """Plays the "on"/"off" cue when the session's push-to-talk goes live or off."""

    def __init__(self, session: "DesktopSession", play: Callable[[str], None]) -> None:
        self._session = session
        self._play = play
        self._live = session.ptt.live
        session.listeners.append(self._changed)

    def _changed(self, change: "Change", _notice: "Notice | None") -> None:
        live = self._session.ptt.live
        if live != self._live:
            self._live = live
            self._play("on" if live else "off")

    def close(self) -> None:
        if self._changed in self._session.listeners:
            self._session.listeners.remove(self._changed)
