"""The one exception the room core raises: a refused command.

A refusal never leaves a half-applied change behind: every handler validates
the whole command before it touches the room.
"""

from app.protocol.errors import ErrorCode


class RoomError(Exception):
    """A command the room refused; `code` goes on the wire, `message` is for people."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
