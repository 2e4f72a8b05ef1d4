"""What the session tells the person, as codes and parameters.

The session emits a `Notice` with a code (a key of `TEXTS`) and its
parameters (room title, who acted, the server...); app/ui turns it into the
person's language (ui/notice_text.py: `QCoreApplication.translate` in the
"Notices" context), and `text` keeps the English for logs and the command
line. This module stays Qt-free: `QT_TRANSLATE_NOOP` here only marks the
strings for `pyside6-lupdate` (the Makefile's `translations` reads this file).
"""

from dataclasses import dataclass, field

CONTEXT = "Notices"


# The name is the one lupdate looks for.
def QT_TRANSLATE_NOOP(_context: str, text: str) -> str:
    return text


TEXTS: dict[str, str] = {
    # Refusals, by the server's error code.
    "bad_credentials": QT_TRANSLATE_NOOP("Notices", "Wrong username or password."),
    "username_taken": QT_TRANSLATE_NOOP(
        "Notices", "That username is taken. Pick another, or log in instead."
    ),
    "bad_username": QT_TRANSLATE_NOOP(
        "Notices", "Usernames are 3 to 32 letters, digits, '-', '_' or '.'."
    ),
    "weak_password": QT_TRANSLATE_NOOP(
        "Notices", "That password is too weak: use at least 8 characters."
    ),
    "invalid_token": QT_TRANSLATE_NOOP(
        "Notices", "Your session has expired. Please sign in again."
    ),
    "room_not_found": QT_TRANSLATE_NOOP("Notices", "That room does not exist or has ended."),
    "room_ended": QT_TRANSLATE_NOOP("Notices", "That room has ended."),
    "room_locked": QT_TRANSLATE_NOOP(
        "Notices", "The room is locked: newcomers cannot join right now."
    ),
    "invite_required": QT_TRANSLATE_NOOP(
        "Notices", "That room is invite-only: ask for an invite link."
    ),
    "banned": QT_TRANSLATE_NOOP("Notices", "You are banned from that room."),
    "already_in_room": QT_TRANSLATE_NOOP("Notices", "You are already in a room: leave it first."),
    "forbidden": QT_TRANSLATE_NOOP("Notices", "You are not allowed to do that."),
    "no_such_member": QT_TRANSLATE_NOOP("Notices", "That person is no longer in the room."),
    "stage_full": QT_TRANSLATE_NOOP("Notices", "The stage is full."),
    "hands_disabled": QT_TRANSLATE_NOOP("Notices", "Raising hands is turned off in this room."),
    "not_invited": QT_TRANSLATE_NOOP("Notices", "There is no invitation to answer."),
    "rate_limited": QT_TRANSLATE_NOOP(
        "Notices", "Slow down: too many requests. Try again in a moment."
    ),
    "media_failed": QT_TRANSLATE_NOOP("Notices", "The audio connection could not be set up."),
    "personal_mix_full": QT_TRANSLATE_NOOP(
        "Notices",
        "Per-speaker volume is in use by as many listeners as this room allows: "
        "you hear everyone at 100 % for now.",
    ),
    "busy": QT_TRANSLATE_NOOP(
        "Notices", "The server is letting people in as fast as it can. Trying again shortly."
    ),
    "unsupported_version": QT_TRANSLATE_NOOP(
        "Notices",
        "This app and the server speak different versions of the protocol: update Panggung "
        "(or ask the server's operator to). The server said: {detail}",
    ),
    "schedule_not_found": QT_TRANSLATE_NOOP(
        "Notices", "That scheduled room does not exist, or is not shown to you."
    ),
    "bad_start_time": QT_TRANSLATE_NOOP("Notices", "Pick a start time from now to a year ahead."),
    "no_such_user": QT_TRANSLATE_NOOP(
        "Notices", "Nobody by one of those names has an account on this server."
    ),
    "invalid_state": QT_TRANSLATE_NOOP(
        "Notices", "That cannot be done now: look again, things changed."
    ),
    "server_said": QT_TRANSLATE_NOOP("Notices", "The server refused: {detail}"),
    # Failures on this side.
    "connection_lost": QT_TRANSLATE_NOOP("Notices", "The connection to {server} was lost."),
    "timeout": QT_TRANSLATE_NOOP("Notices", "{server} did not answer in time."),
    "unreachable": QT_TRANSLATE_NOOP(
        "Notices", "Cannot reach {server}. Check the address and that the server is running."
    ),
    "unexpected": QT_TRANSLATE_NOOP("Notices", "Something went wrong: {detail}"),
    "not_a_link": QT_TRANSLATE_NOOP("Notices", "That is not a room link: {detail}."),
    "other_server": QT_TRANSLATE_NOOP(
        "Notices", "That link is for the server {link_server}; this app is connected to {server}."
    ),
    "audio_failed": QT_TRANSLATE_NOOP("Notices", "Audio could not start in {room}: {detail}"),
    # Push-to-talk refused.
    "talk_mod_muted": QT_TRANSLATE_NOOP("Notices", "A moderator has muted you."),
    "talk_self_muted": QT_TRANSLATE_NOOP("Notices", "Your microphone is muted: unmute it to talk."),
    "talk_listening": QT_TRANSLATE_NOOP(
        "Notices", "Only the stage talks. Raise your hand to ask for the stage."
    ),
    # What others did to me, and in which room.
    "invited": QT_TRANSLATE_NOOP("Notices", "{who} invited you to the stage in {room}."),
    "hand_approved": QT_TRANSLATE_NOOP(
        "Notices", "{who} approved your hand: you are on the stage in {room}."
    ),
    "hand_denied": QT_TRANSLATE_NOOP("Notices", "{who} declined your raised hand in {room}."),
    "moved_to_audience": QT_TRANSLATE_NOOP("Notices", "{who} moved you to the audience in {room}."),
    "muted": QT_TRANSLATE_NOOP("Notices", "{who} muted you in {room}."),
    "unmuted": QT_TRANSLATE_NOOP("Notices", "{who} unmuted you in {room}."),
    "made_cohost": QT_TRANSLATE_NOOP("Notices", "{who} made you a co-host of {room}."),
    "became_host": QT_TRANSLATE_NOOP("Notices", "You are now the host of {room}."),
    "hand_raised": QT_TRANSLATE_NOOP("Notices", "{who} raised a hand in {room}."),
    "ended": QT_TRANSLATE_NOOP("Notices", "{room} has ended."),
    # Scheduled rooms we asked to be reminded of ({when}: local time).
    "schedule_starting": QT_TRANSLATE_NOOP(
        "Notices", "{room} by {host} is due to start now ({when})."
    ),
    "schedule_live": QT_TRANSLATE_NOOP(
        "Notices", "{host} is live: {room}. Join it from the directory."
    ),
    "schedule_changed": QT_TRANSLATE_NOOP("Notices", "{room} by {host} changed: now at {when}."),
    "schedule_cancelled": QT_TRANSLATE_NOOP("Notices", "{host} cancelled {room} ({when})."),
    "schedule_missed": QT_TRANSLATE_NOOP("Notices", "{room} by {host} did not start."),
    # ...and when nobody is named (an older server, a moderator who left).
    "someone": QT_TRANSLATE_NOOP("Notices", "A moderator"),
    # No longer in the room, by the server's reason.
    "kicked_removed": QT_TRANSLATE_NOOP("Notices", "A moderator removed you from {room}."),
    "kicked_banned": QT_TRANSLATE_NOOP("Notices", "A moderator banned you from {room}."),
    "kicked_replaced": QT_TRANSLATE_NOOP(
        "Notices", "You joined {room} from somewhere else; this window left it."
    ),
    "kicked_timed_out": QT_TRANSLATE_NOOP(
        "Notices", "You were away too long and lost your place in {room}."
    ),
    "kicked_other": QT_TRANSLATE_NOOP("Notices", "You are no longer in {room} ({detail})."),
}


@dataclass(frozen=True, slots=True)
class Notice:
    kind: str  # error, invited, approved, moved, muted, ended, kicked, hand, info
    text: str  # English, for logs and the command line
    code: str = ""  # a key of TEXTS ("" for reactions: text is the name)
    params: dict[str, str] = field(default_factory=dict)


def english(code: str, params: dict[str, str]) -> str:
    values = dict(params)
    if not values.get("who"):
        values["who"] = TEXTS["someone"]
    return TEXTS[code].format_map(values)


def notice(kind: str, code: str, **params: str) -> Notice:
    return Notice(kind, english(code, params), code, params)
