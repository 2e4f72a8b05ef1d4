"""A room's summary: the audience's counts and its reactions, at most once a second.

Listeners are counted, not announced, and reactions are counted per
reaction with a few senders named: a room of 15,000 where 10 % react sends
each listener one `reactions` frame per window, not 1,500. `RoomPulse` is
pure (the hub passes the time and does the scheduling): after a change the
hub asks `due_in`, flushes then, and `frames` gives what to send — nothing
when nothing changed.

The window is a second in a room of up to `BUDGET` members and grows with
the room beyond that (`BUDGET` summary frames a second per room, whatever
its size): a summary costs the server a frame per member, so at a fixed
window a join storm, whose length grows with the audience, would cost each
join more the bigger the room (N/300 summaries a join at 300 joins a
second). With the window growing with the room, a storm of N joins costs
O(N) summary frames in all. The count stays truthful: each summary is the
exact count when it is sent, at most one window old (15 s at 15,000), and a
joiner's snapshot carries the exact count at once.
"""

import collections
import math

from app.protocol import encode
from app.protocol.model import AudienceCount, Reaction, ReactionSender
from app.protocol.replies import Audience, Reactions

INTERVAL = 1.0
# Summary frames a room may send a second: its window is members / BUDGET
# seconds once that is more than INTERVAL.
BUDGET = 1000
NAMED_SENDERS = 3


class RoomPulse:
    def __init__(self, room_id: str, interval: float = INTERVAL, budget: int = BUDGET) -> None:
        self.room_id = room_id
        self.interval = interval
        self.budget = budget
        self.scheduled = False
        self._sent: AudienceCount | None = None
        self._last_at = -math.inf
        self._counts: collections.Counter[Reaction] = collections.Counter()
        self._senders: list[ReactionSender] = []

    def react(self, user_id: int, name: str, reaction: Reaction) -> None:
        self._counts[reaction] += 1
        if len(self._senders) < NAMED_SENDERS:
            self._senders.append(ReactionSender(user_id=user_id, name=name, reaction=reaction))

    def window(self, members: int) -> float:
        """The shortest time between two summaries to a room of `members`."""
        return max(self.interval, members / self.budget)

    def due_in(self, now: float, members: int) -> float:
        """Seconds until the next summary to `members` may go out."""
        return max(0.0, self._last_at + self.window(members) - now)

    def frames(self, count: AudienceCount, now: float) -> list[bytes]:
        """What to send now: the counts if they changed, the reactions if any."""
        out = []
        if count != self._sent:
            self._sent = count
            out.append(
                encode(Audience(room_id=self.room_id, listeners=count.listeners, hands=count.hands))
            )
        if self._counts:
            out.append(
                encode(
                    Reactions(
                        room_id=self.room_id, counts=dict(self._counts), senders=self._senders
                    )
                )
            )
            self._counts = collections.Counter()
            self._senders = []
        if out:
            self._last_at = now
        return out
