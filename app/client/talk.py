"""Whether I am heard: the one answer the button, the tray, `panggung ptt
status` and the microphone all follow.

Push-to-talk (`PttMachine.live`) is only the wish to talk. Being heard also
needs the stage and no mute, mine or a moderator's; the session stops the
wish whenever one of those goes, so `LIVE` is never shown while the room
hears nothing. Under floor control a wish the server queued is `WAITING`:
someone else holds the floor. Qt-free and pure, so that every combination is a table row.
"""

from enum import StrEnum

from app.protocol.model import STAGE_ROLES, MemberView


class Talk(StrEnum):
    OUT = "out"  # not in a room (or reconnecting)
    LISTENING = "listening"  # in the audience
    MOD_MUTED = "mod_muted"  # on stage, a moderator muted me
    SELF_MUTED = "self_muted"  # on stage, I muted my microphone
    READY = "ready"  # on stage, may talk, not talking
    LIVE = "live"  # on stage and talking: the room hears me
    WAITING = "waiting"  # pressing, but queued for the floor: someone else is heard


def talk_state(in_room: bool, me: MemberView | None, ptt_live: bool, waiting: bool = False) -> Talk:
    if not in_room or me is None:
        return Talk.OUT
    if me.role not in STAGE_ROLES:
        return Talk.LISTENING
    if me.mod_muted:
        return Talk.MOD_MUTED
    if me.self_muted:
        return Talk.SELF_MUTED
    if ptt_live and waiting:
        return Talk.WAITING
    return Talk.LIVE if ptt_live else Talk.READY


def may_talk(state: Talk) -> bool:
    return state in (Talk.READY, Talk.LIVE, Talk.WAITING)
