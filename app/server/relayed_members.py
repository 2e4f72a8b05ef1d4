"""At a room's origin: whose audio their own node relays (the edge relay,
docs/cluster.md), and whom to tell `offer_again` when the stage changes.

A listener on an edge gets the room's mix from that edge; on stage, their
audio must reach the origin's mixer, so their link moves to the origin. Back
in the audience, it moves back to their node if that node offered to relay
them (the `flag` of their last forwarded media offer), so that the origin's
cost stays one stream per edge rather than one link per former speaker.
Only the members the room's events are about are looked at, never every
relayed listener.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from app.server.rooms import Room


@dataclass
class _Room:
    relayed: set[int] = field(default_factory=set)  # their node carries their link
    # On the origin's link while on stage; their node would relay them.
    lifted: set[int] = field(default_factory=set)


class RelayedMembers:
    def __init__(self) -> None:
        self._rooms: dict[str, _Room] = {}

    def relayed(self, room_id: str, user_id: int) -> None:
        """Their node carries their link now."""
        room = self._rooms.setdefault(room_id, _Room())
        room.relayed.add(user_id)
        room.lifted.discard(user_id)

    def direct(self, room_id: str, user_id: int, node_relays: bool) -> None:
        """On the origin's own link now; `node_relays`: their node offered to
        relay them (they go back to it once off the stage)."""
        room = self._rooms.get(room_id)
        if room is None and not node_relays:
            return
        room = room or self._rooms.setdefault(room_id, _Room())
        room.relayed.discard(user_id)
        if node_relays:
            room.lifted.add(user_id)
        else:
            room.lifted.discard(user_id)
        self._prune(room_id)

    def watching(self, room_id: str) -> bool:
        return room_id in self._rooms

    def moves(self, room: Room, subjects: Iterable[int], away: Collection[int]) -> list[int]:
        """The members whose link must move after events about `subjects`:
        relayed ones now on stage (to the origin), lifted ones back in the
        audience of a live room and still connected through another node
        (`away`: to their node's relay). Each is told `offer_again`."""
        state = self._rooms.get(room.room_id)
        if state is None:
            return []
        moving: list[int] = []
        for uid in subjects:
            if uid not in state.relayed and uid not in state.lifted:
                continue
            member = room.members.get(uid)
            if member is None or not member.connected or uid not in away:
                state.relayed.discard(uid)
                state.lifted.discard(uid)
            elif uid in state.relayed and member.on_stage:
                state.relayed.discard(uid)
                state.lifted.add(uid)  # their node relayed them: back there later
                moving.append(uid)
            elif uid in state.lifted and not member.on_stage and room.live:
                state.lifted.discard(uid)
                moving.append(uid)
        self._prune(room.room_id)
        return moving

    def forget(self, room_id: str) -> None:
        self._rooms.pop(room_id, None)

    def _prune(self, room_id: str) -> None:
        room = self._rooms.get(room_id)
        if room is not None and not room.relayed and not room.lifted:
            del self._rooms[room_id]
