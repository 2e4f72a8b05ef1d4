"""The command registry is the one list: the protocol, the gate and the fuzzing agree with it.

A room request added to the protocol must be in `COMMANDS` (or answered by the
shell), every command must need actions the permission table knows, and every
command the core runs must be drawn by the property tests' strategies.
"""

import dataclasses
import typing

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.protocol.requests import RoomRequest
from app.server.rooms import PERMISSIONS, Action, MemberCommand
from app.server.rooms.commands import COMMANDS, SHELL_ANSWERED, Gated, RoomRead
from app.server.rooms.core import action_of

from . import strategies


def test_every_room_request_is_a_command_or_answered_by_the_shell() -> None:
    requests = set(typing.get_args(RoomRequest))
    missing = requests - set(COMMANDS) - SHELL_ANSWERED
    assert not missing, f"room requests neither in COMMANDS nor SHELL_ANSWERED: {missing}"
    assert not SHELL_ANSWERED & set(COMMANDS)
    assert requests >= SHELL_ANSWERED


def test_the_type_unions_are_the_registry() -> None:
    run = {kind for kind, command in COMMANDS.items() if command.run is not None}
    read = {kind for kind, command in COMMANDS.items() if command.run is None}
    assert set(typing.get_args(MemberCommand)) == run
    assert set(typing.get_args(RoomRead)) == read


def test_every_action_is_needed_by_a_command_and_granted_to_a_role() -> None:
    needed = {action for command in COMMANDS.values() for action in command.actions}
    granted = {action for actions in PERMISSIONS.values() for action in actions}
    assert needed == set(Action), f"actions no command needs: {set(Action) - needed}"
    assert granted == set(Action), f"actions no role is granted: {set(Action) - granted}"


def test_every_command_the_core_runs_is_in_one_strategy_group() -> None:
    groups = [strategies.OWN, strategies.AIMED, strategies.ROOM_WIDE, list(strategies.EXITS)]
    grouped = [kind for group in groups for kind in group]
    assert sorted(grouped, key=str) == sorted(strategies.RUN, key=str)


@pytest.mark.parametrize("kind", strategies.RUN, ids=lambda kind: kind.__name__)
@given(data=st.data())
def test_every_command_is_drawn_and_gated_by_one_of_its_actions(
    kind: type, data: st.DataObject
) -> None:
    command: Gated = data.draw(strategies.command_strategy(kind))
    assert type(command) is kind
    action = action_of(command)
    if COMMANDS[kind].actions:
        assert action in COMMANDS[kind].actions
    else:
        assert action is None


def test_a_command_field_without_values_is_named() -> None:
    flying = dataclasses.make_dataclass("Fly", [("altitude", int)])
    with pytest.raises(LookupError, match="altitude"):
        strategies.command_strategy(flying)
