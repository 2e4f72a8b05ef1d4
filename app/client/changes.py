"""The one typed stream of what changed in a `RoomClient`.

Everything a view of the client needs to follow arrives here, in order, on
the event loop: room events as the model applies them, a model replaced by a
snapshot, the audience counts, what the server lets us do, speaking levels,
reaction bursts, a kick, the link going down and coming back, and the room's
audio stalling on its way to our node. Subscribers
are called synchronously (they must not block); `subscribe` returns the handle that unsubscribes, so
nothing has to find itself again in a list of hooks.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from app.protocol.events import AnyRoomEvent
from app.protocol.replies import Reactions, ScheduleNotice

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventApplied:
    """A room event, applied to the model (`client.model`) just before."""

    event: AnyRoomEvent


@dataclass(frozen=True)
class RoomReset:
    """The model was replaced or reset from a snapshot: entering, a resync, a rejoin."""


@dataclass(frozen=True)
class AudienceCounted:
    """The audience counts changed (`client.model.audience`)."""


@dataclass(frozen=True)
class ActionsAllowed:
    """What the server lets us do changed (`client.model.allowed`)."""


@dataclass(frozen=True)
class SpeakingLevels:
    """Who is speaking, by user id, and how loud (0..1); empty when nobody is."""

    levels: dict[int, float]


@dataclass(frozen=True)
class ReactionBurst:
    burst: Reactions


@dataclass(frozen=True)
class KickedOut:
    """The server removed us from the room (`reason`: removed, banned, ...)."""

    reason: str


@dataclass(frozen=True)
class LinkDown:
    """The connection dropped; `reconnecting` says whether the client will try again."""

    reconnecting: bool


@dataclass(frozen=True)
class LinkUp:
    """Connected again after a drop; `rejoined` when we are back in our room
    (the server dropped our old media connection by then)."""

    rejoined: bool


@dataclass(frozen=True)
class ScheduleNoticed:
    """A scheduled room we asked to be reminded of is due, live, changed,
    cancelled or missed (it need not be the room we are in)."""

    notice: ScheduleNotice


@dataclass(frozen=True)
class MediaMoved:
    """Another node took the room over (a resync showed a new media epoch): its
    media plane has none of our old connection, so audio must be offered again;
    or (`origin` false) the server said `offer_again`. A link our own node
    relays outlives a new origin (`MediaAnswer.relayed`), not an `offer_again`."""

    origin: bool = True


@dataclass(frozen=True)
class MediaStall:
    """The room's audio stopped reaching our node (`stalled`), or came back:
    `client.media_stalled` (an edge relay's notice; cleared when our audio
    is offered again, to whichever node carries it then)."""

    stalled: bool


ClientChange = (
    EventApplied
    | RoomReset
    | AudienceCounted
    | ActionsAllowed
    | SpeakingLevels
    | ReactionBurst
    | KickedOut
    | LinkDown
    | LinkUp
    | MediaMoved
    | MediaStall
    | ScheduleNoticed
)
Subscriber = Callable[[ClientChange], None]
Unsubscribe = Callable[[], None]


class ChangeStream:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Unsubscribe:
        """Call `subscriber` with every change from now on, until the returned
        handle is called (calling it again does nothing)."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def publish(self, change: ClientChange) -> None:
        """Every subscriber, in order; one that raises is logged and the rest still hear it."""
        for subscriber in list(self._subscribers):
            try:
                subscriber(change)
            except Exception:
                log.exception("change subscriber failed on %s", type(change).__name__)
