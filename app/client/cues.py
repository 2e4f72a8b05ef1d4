"""Short audible cues for push-to-talk: a rising two-note blip when the
microphone opens, a falling one when it closes, and under floor control a
flat double beep (like a busy line) when the press is queued because someone
else holds the floor. Generated, not shipped.

`CuePlayer` follows a DesktopSession's push-to-talk and talk state and asks
the audio backend to play the matching cue; when a queued press gets the
floor, the "on" cue says so.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from app.client.talk import Talk

if TYPE_CHECKING:
    from app.client.desktop_session import Change, DesktopSession, Notice

RATE = 48_000
NOTE_S = 0.06
FADE_S = 0.005
AMPLITUDE = 0.25
# 0.0 is a rest. "busy" is low and flat so that it cannot be taken for "on".
NOTES = {"on": (660.0, 990.0), "off": (990.0, 660.0), "busy": (440.0, 0.0, 440.0)}


def cue_tone(kind: str, rate: int = RATE) -> NDArray[np.int16]:
    """The cue for "on", "off" or "busy" as 48 kHz mono int16 (120-180 ms)."""
    n = round(NOTE_S * rate)
    fade = round(FADE_S * rate)
    envelope = np.ones(n)
    envelope[:fade] = np.linspace(0.0, 1.0, fade)
    envelope[-fade:] = np.linspace(1.0, 0.0, fade)
    t = np.arange(n) / rate
    notes = [np.sin(2 * np.pi * f * t) * envelope for f in NOTES[kind]]
    return (np.concatenate(notes) * AMPLITUDE * 32767).astype(np.int16)


class CuePlayer:
    """Plays "on"/"off" when the session's push-to-talk goes live or off,
    "busy" when the press waits for the floor, "on" again once it gets it."""

    def __init__(self, session: "DesktopSession", play: Callable[[str], None]) -> None:
        self._session = session
        self._play = play
        self._live = session.ptt.live
        self._waiting = self._is_waiting()
        session.listeners.append(self._changed)

    def _is_waiting(self) -> bool:
        return self._session.talk() is Talk.WAITING

    def _changed(self, change: "Change", _notice: "Notice | None") -> None:
        live, waiting = self._session.ptt.live, self._is_waiting()
        if live != self._live:
            self._live = live
            self._play("on" if live else "off")
        if waiting != self._waiting:
            self._waiting = waiting
            if waiting:
                self._play("busy")  # replaces the "on" of the press, still playing
            elif live:
                self._play("on")  # the floor is ours now

    def close(self) -> None:
        if self._changed in self._session.listeners:
            self._session.listeners.remove(self._changed)
