"""Stable, machine-readable error codes carried by `error` replies."""

from enum import StrEnum


class ErrorCode(StrEnum):
    # Transport and framing.
    BAD_JSON = "bad_json"
    INVALID = "invalid"
    UNKNOWN_TYPE = "unknown_type"
    TOO_LARGE = "too_large"
    RATE_LIMITED = "rate_limited"
    # Session order.
    HELLO_REQUIRED = "hello_required"
    UNSUPPORTED_VERSION = "unsupported_version"
    AUTH_REQUIRED = "auth_required"
    ALREADY_AUTHENTICATED = "already_authenticated"
    # Accounts.
    BAD_CREDENTIALS = "bad_credentials"
    USERNAME_TAKEN = "username_taken"
    BAD_USERNAME = "bad_username"
    WEAK_PASSWORD = "weak_password"
    INVALID_TOKEN = "invalid_token"
    # Rooms.
    ROOM_NOT_FOUND = "room_not_found"
    ROOM_ENDED = "room_ended"
    ROOM_LOCKED = "room_locked"
    INVITE_REQUIRED = "invite_required"
    BANNED = "banned"
    NOT_IN_ROOM = "not_in_room"
    ALREADY_IN_ROOM = "already_in_room"
    # Room actions.
    FORBIDDEN = "forbidden"
    NO_SUCH_MEMBER = "no_such_member"
    STAGE_FULL = "stage_full"
    HANDS_DISABLED = "hands_disabled"
    NOT_INVITED = "not_invited"
    INVALID_STATE = "invalid_state"
    # Scheduled rooms: none that you may see has this id; a start time in
    # the past or too far ahead; a username invited ahead that nobody has.
    SCHEDULE_NOT_FOUND = "schedule_not_found"
    BAD_START_TIME = "bad_start_time"
    NO_SUCH_USER = "no_such_user"
    # Media.
    MEDIA_FAILED = "media_failed"
    # This node's live (WebRTC) audience is full: listen with `listen_broadcast`.
    BROADCAST_ONLY = "broadcast_only"
    # `set_speaker_volumes`: the room's own mixes for listeners are all taken.
    PERSONAL_MIX_FULL = "personal_mix_full"
    # Recording cannot start here: no media plane, or the recordings
    # directory cannot be written.
    RECORDING_UNAVAILABLE = "recording_unavailable"
    # No replay with that id that you may play (or manage): alike on
    # purpose, so that nobody learns which exist.
    REPLAY_NOT_FOUND = "replay_not_found"
    # The server's own fault; the request may be retried.
    INTERNAL = "internal"
    UNAVAILABLE = "unavailable"
    # Joins arrive faster than the server admits them: try again after the
    # error's `retry_after` seconds (protocol 2).
    BUSY = "busy"
