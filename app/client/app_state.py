"""Where the desktop app is, as a small state machine the window follows.

signed_out -> signing_in -> directory <-> in_room <-> reconnecting; any
phase may fall back to signed_out (sign out, token refused). A transition
the table does not allow is a bug in the caller, so it raises.
"""

from collections.abc import Callable
from enum import StrEnum


class Phase(StrEnum):
    SIGNED_OUT = "signed_out"
    SIGNING_IN = "signing_in"
    DIRECTORY = "directory"
    IN_ROOM = "in_room"
    RECONNECTING = "reconnecting"


ALLOWED: dict[Phase, frozenset[Phase]] = {
    Phase.SIGNED_OUT: frozenset({Phase.SIGNING_IN}),
    Phase.SIGNING_IN: frozenset({Phase.SIGNED_OUT, Phase.DIRECTORY}),
    Phase.DIRECTORY: frozenset({Phase.SIGNED_OUT, Phase.IN_ROOM, Phase.RECONNECTING}),
    Phase.IN_ROOM: frozenset({Phase.SIGNED_OUT, Phase.DIRECTORY, Phase.RECONNECTING}),
    # A reconnect lands back in the room, or in the directory when the room
    # is gone for us (ended, removed while away).
    Phase.RECONNECTING: frozenset({Phase.SIGNED_OUT, Phase.DIRECTORY, Phase.IN_ROOM}),
}


class AppState:
    def __init__(self) -> None:
        self.phase = Phase.SIGNED_OUT
        self.listeners: list[Callable[[Phase, Phase], None]] = []

    def can_move(self, to: Phase) -> bool:
        return to in ALLOWED[self.phase]

    def move(self, to: Phase) -> None:
        if to == self.phase:
            return
        if not self.can_move(to):
            raise ValueError(f"cannot go from {self.phase} to {to}")
        before, self.phase = self.phase, to
        for listener in self.listeners:
            listener(before, to)
