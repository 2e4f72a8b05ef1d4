"""A room's once-a-second summary: the audience's counts and its reactions.

Listeners are counted, not announced, and reactions are counted per
reaction with a few senders named: a room of 15,000 where 10 % react sends
each listener one `reactions` frame a second, not 1,500. `RoomPulse` is pure
(the hub passes the time and does the scheduling): after a change the hub
asks `due_in`, flushes then, and `frames` gives what to send — nothing when
nothing changed.
"""

import collections
import math

from app.protocol import encode
from app.protocol.model import AudienceCount, Reaction, ReactionSender
from app.protocol.replies import Audience, Reactions

INTERVAL = 1.0
NAMED_SENDERS = 3


class RoomPulse:
    def __init__(self, room_id: str, interval: float = INTERVAL) -> None:
        self.room_id = room_id
        self.interval = interval
        self.scheduled = False
        self._sent: AudienceCount | None = None
        self._last_at = -math.inf
        self._counts: collections.Counter[Reaction] = collections.Counter()
        self._senders: list[ReactionSender] = []

    def react(self, user_id: int, name: str, reaction: Reaction) -> None:
        self._counts[reaction] += 1
        if len(self._senders) < NAMED_SENDERS:
            self._senders.append(ReactionSender(user_id=user_id, name=name, reaction=reaction))

    def due_in(self, now: float) -> float:
        """Seconds until the next summary may go out."""
        return max(0.0, self._last_at + self.interval - now)

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
