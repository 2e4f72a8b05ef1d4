"""Failures as sentences for the window: what went wrong and what to do."""

from app.client.connection import ConnectionLost, RequestFailed

BY_CODE = {
    "bad_credentials": "Wrong username or password.",
    "username_taken": "That username is taken. Pick another, or log in instead.",
    "bad_username": "Usernames are 3 to 32 letters, digits, '-', '_' or '.'.",
    "weak_password": "That password is too weak: use at least 8 characters.",
    "invalid_token": "Your session has expired. Please sign in again.",
    "room_not_found": "That room does not exist or has ended.",
    "room_ended": "That room has ended.",
    "room_locked": "The room is locked: newcomers cannot join right now.",
    "invite_required": "That room is invite-only: ask for an invite link.",
    "banned": "You are banned from that room.",
    "already_in_room": "You are already in a room: leave it first.",
    "forbidden": "You are not allowed to do that.",
    "no_such_member": "That person is no longer in the room.",
    "stage_full": "The stage is full.",
    "hands_disabled": "Raising hands is turned off in this room.",
    "not_invited": "There is no invitation to answer.",
    "rate_limited": "Slow down: too many requests. Try again in a moment.",
    "media_failed": "The audio connection could not be set up.",
    "busy": "The server is letting people in as fast as it can. Trying again shortly.",
    "unsupported_version": "This app and the server speak different versions of the "
    "protocol: update Panggung (or ask the server's operator to). The server said:",
}


def explain(exc: BaseException, server: str = "the server") -> str:
    if isinstance(exc, RequestFailed):
        if exc.code == "unsupported_version":
            return f"{BY_CODE[exc.code]} {exc.message}"
        return BY_CODE.get(exc.code, exc.message or exc.code)
    if isinstance(exc, ConnectionLost):
        return f"The connection to {server} was lost."
    if isinstance(exc, TimeoutError):
        return f"{server} did not answer in time."
    if isinstance(exc, OSError) or type(exc).__module__.startswith("aiohttp"):
        return f"Cannot reach {server}. Check the address and that the server is running."
    return f"Something went wrong: {exc}"
