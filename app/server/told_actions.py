"""What each member was last told they may do, so that `allowed` goes out only on a change.

A member learns their actions from the snapshot they join or resync with
(`RoomSnapshot.allowed`); afterwards the hub hands every outcome here, and
each member an event was about whose actions differ from what they were told
(a role change, a moderator's mute or its lifting, the host handed over) gets
one `allowed` message. The core decides the set (`views.allowed_actions`);
this only remembers what was sent.
"""

from itertools import chain

from app.protocol import encode
from app.protocol.model import Action
from app.protocol.replies import Allowed
from app.server.rooms import Outcome, Room
from app.server.rooms.core import subject_of
from app.server.rooms.views import allowed_actions


class ToldActions:
    def __init__(self) -> None:
        self._told: dict[str, dict[int, list[Action]]] = {}

    def told(self, room_id: str, user_id: int, actions: list[Action]) -> None:
        """A snapshot carrying `actions` went to this member."""
        self._told.setdefault(room_id, {})[user_id] = actions

    def changed(self, room: Room, outcome: Outcome) -> list[tuple[int, bytes]]:
        """(member, encoded `allowed` message) for each member whose actions changed."""
        told = self._told.get(room.room_id)
        if not told:
            return []
        out: list[tuple[int, bytes]] = []
        for event in chain((e for _, e in outcome.events), outcome.quiet):
            user_id = subject_of(event)
            if user_id is None or user_id not in told:
                continue
            member = room.members.get(user_id)
            if member is None:  # gone: a new snapshot comes with a new join
                del told[user_id]
                continue
            actions = allowed_actions(room, member)
            if actions != told[user_id]:
                told[user_id] = actions
                out.append((user_id, encode(Allowed(room_id=room.room_id, actions=actions))))
        return out

    def forget(self, room_id: str) -> None:
        self._told.pop(room_id, None)
