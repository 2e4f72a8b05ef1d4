"""Hypothesis strategies for the room core's commands, derived from its registry.

Every command in `COMMANDS` that the core runs gets a strategy built from its
fields, so a command added to the registry is fuzzed by the property tests
without editing them. Values come by field name, chosen to make rooms
interesting (a small population of targets, mostly unlocking); a field name
not listed here fails `command_strategy` with a message saying what to add.
"""

import dataclasses
from typing import Any

import msgspec
from hypothesis import strategies as st

from app.protocol.model import Role
from app.protocol.requests import EndRoom, LeaveRoom
from app.server.rooms import PERMISSIONS, Action, Disconnect
from app.server.rooms.commands import COMMANDS

# A small population so that the same people meet again and again; 9 never joins.
users = st.integers(min_value=1, max_value=7)
targets = st.integers(min_value=1, max_value=9)

FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "user_id": targets,
    "muted": st.booleans(),
    "pressed": st.booleans(),
    "on": st.booleans(),
    "reaction": st.sampled_from(["clap", "wave"]),
    # Mostly unlocking and enabling, so that rooms are not stuck shut for whole runs.
    "locked": st.sampled_from([False, False, False, True]),
    "enabled": st.sampled_from([True, True, True, False]),
    "topic": st.sampled_from(["", "t", "x" * 281]),
    "url": st.sampled_from([None, "https://a.example", "nope"]),
    "code": st.sampled_from(["a", "b", ""]),
    # end_room's choice for its recording: the core ends the room alike.
    "replay": st.sampled_from([None, "public", "private", "deleted"]),
    "max_turn": st.sampled_from([None, 5]),
    "voice_activity": st.booleans(),
}

# Ways out, kept apart so that rooms do not end in the first few steps.
EXITS: frozenset[type] = frozenset({Disconnect, LeaveRoom, EndRoom})


def field_names(kind: type) -> list[str]:
    if dataclasses.is_dataclass(kind):
        return [f.name for f in dataclasses.fields(kind)]
    return [f.name for f in msgspec.structs.fields(kind)]


def command_strategy(kind: type) -> st.SearchStrategy[Any]:
    missing = [name for name in field_names(kind) if name not in FIELD_VALUES]
    if missing:
        raise LookupError(
            f"{kind.__name__}: no values for field(s) {missing}; add them to FIELD_VALUES"
        )
    return st.builds(kind, **{name: FIELD_VALUES[name] for name in field_names(kind)})


def _moderators_only(kind: type) -> bool:
    """Whether no speaker or listener may ever issue it."""
    others: frozenset[Action] = PERMISSIONS[Role.SPEAKER] | PERMISSIONS[Role.LISTENER]
    actions = COMMANDS[kind].actions
    return bool(actions) and not set(actions) & others


# Everything the core runs, in a stable order (hypothesis shrinks towards the first).
RUN = [kind for kind, command in COMMANDS.items() if command.run is not None]
_REST = [kind for kind in RUN if kind not in EXITS]
AIMED = [kind for kind in _REST if "user_id" in field_names(kind)]
ROOM_WIDE = [kind for kind in _REST if kind not in AIMED and _moderators_only(kind)]
OWN = [kind for kind in _REST if kind not in AIMED and kind not in ROOM_WIDE]

# What a member does for themselves.
own_commands = st.one_of([command_strategy(kind) for kind in OWN])
# Moderator actions aimed at someone.
aimed_commands = st.one_of([command_strategy(kind) for kind in AIMED])
# Room-wide moderator actions.
room_commands = st.one_of([command_strategy(kind) for kind in ROOM_WIDE])
exit_commands = st.one_of([command_strategy(kind) for kind in RUN if kind in EXITS])
any_command = st.one_of(own_commands, aimed_commands, room_commands, exit_commands)
