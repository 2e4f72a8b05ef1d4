"""The origin's book of relayed members (app/server/relayed_members.py): a
relayed listener who goes on stage moves to the origin's link, and back to
their node's relay once in the audience again; only if their node offered to
relay them, they are still connected through it, and the room is live."""

from app.protocol.model import Role
from app.protocol.requests import AcceptInvite, EndRoom, InviteToStage, LeaveStage
from app.server.relayed_members import RelayedMembers
from tests.server.rooms.helpers import HOST, add, new_room, run

EAR, OTHER = 2, 3


def test_a_relayed_listener_moves_to_the_origin_on_stage_and_back_after() -> None:
    room = new_room()
    add(room, EAR, Role.LISTENER)
    add(room, OTHER, Role.LISTENER)
    book = RelayedMembers()
    book.relayed(room.room_id, EAR)
    book.relayed(room.room_id, OTHER)
    away = {EAR, OTHER}
    # Events about others move nobody.
    assert book.moves(room, [HOST], away) == []
    room.members[EAR].role = Role.SPEAKER
    assert book.moves(room, [EAR], away) == [EAR]  # to the origin
    assert book.moves(room, [EAR], away) == []  # told once
    # Their node offers again, and the origin links them (on stage).
    book.direct(room.room_id, EAR, node_relays=True)
    assert book.moves(room, [EAR], away) == []  # still on stage
    room.members[EAR].role = Role.LISTENER
    assert book.moves(room, [EAR, OTHER], away) == [EAR]  # back to the edge
    book.relayed(room.room_id, EAR)
    assert book.moves(room, [EAR], away) == []


def test_only_a_node_that_relays_gets_its_former_speaker_back() -> None:
    room = new_room()
    add(room, EAR, Role.SPEAKER)
    book = RelayedMembers()
    book.direct(room.room_id, EAR, node_relays=False)  # a full node, or none
    assert not book.watching(room.room_id)
    room.members[EAR].role = Role.LISTENER
    assert book.moves(room, [EAR], {EAR}) == []


def test_a_former_speaker_gone_or_now_on_the_origin_node_is_forgotten() -> None:
    room = new_room()
    add(room, EAR, Role.SPEAKER)
    add(room, OTHER, Role.SPEAKER)
    book = RelayedMembers()
    book.direct(room.room_id, EAR, node_relays=True)
    book.direct(room.room_id, OTHER, node_relays=True)
    room.members[EAR].connected = False
    assert book.moves(room, [EAR], {EAR, OTHER}) == []
    room.members[EAR].connected = True
    room.members[EAR].role = Role.LISTENER
    assert book.moves(room, [EAR], {EAR, OTHER}) == []  # forgotten while away
    # Reconnected to the origin node itself: nothing for their old node to relay.
    room.members[OTHER].role = Role.LISTENER
    assert book.moves(room, [OTHER], {EAR}) == []
    assert not book.watching(room.room_id)


def test_through_the_core_leaving_the_stage_of_a_live_room_only() -> None:
    room = new_room()
    add(room, EAR, Role.LISTENER)
    book = RelayedMembers()
    run(room, HOST, InviteToStage(user_id=EAR))
    run(room, EAR, AcceptInvite())
    assert room.members[EAR].on_stage
    book.direct(room.room_id, EAR, node_relays=True)
    run(room, EAR, LeaveStage())
    assert book.moves(room, [EAR], {EAR}) == [EAR]
    # On stage again; the room ends: an ended room relays nothing.
    run(room, HOST, InviteToStage(user_id=EAR))
    run(room, EAR, AcceptInvite())
    book.direct(room.room_id, EAR, node_relays=True)
    run(room, HOST, EndRoom())
    room.members[EAR].role = Role.LISTENER
    assert book.moves(room, [EAR], {EAR}) == []
