"""Failures as notice codes (notices.py): what went wrong and what to do."""

from app.client.connection import ConnectionLost, RequestFailed
from app.client.notices import english

# The server's error codes that have a sentence of their own in notices.TEXTS.
SERVER_CODES = frozenset(
    {
        "bad_credentials", "username_taken", "bad_username", "weak_password", "invalid_token",
        "room_not_found", "room_ended", "room_locked", "invite_required", "banned",
        "already_in_room", "forbidden", "no_such_member", "stage_full", "hands_disabled",
        "not_invited", "rate_limited", "media_failed", "busy", "personal_mix_full",
        "schedule_not_found", "bad_start_time", "no_such_user", "invalid_state",
    }
)  # fmt: skip


def explain_code(exc: BaseException, server: str = "the server") -> tuple[str, dict[str, str]]:
    """The notice code and parameters for a failure."""
    if isinstance(exc, RequestFailed):
        if exc.code == "unsupported_version":
            return exc.code, {"detail": exc.message}
        if exc.code in SERVER_CODES:
            return exc.code, {}
        return "server_said", {"detail": exc.message or exc.code}
    if isinstance(exc, ConnectionLost):
        return "connection_lost", {"server": server}
    if isinstance(exc, TimeoutError):
        return "timeout", {"server": server}
    if isinstance(exc, OSError) or type(exc).__module__.startswith("aiohttp"):
        return "unreachable", {"server": server}
    return "unexpected", {"detail": str(exc)}


def explain(exc: BaseException, server: str = "the server") -> str:
    """The same, in English (logs, the command line)."""
    return english(*explain_code(exc, server))
