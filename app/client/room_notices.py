"""What the room's events and reactions tell the person at the desktop.

One job out of DesktopSession: turn a room event into a notice code and its
parameters (notices.TEXTS says how each reads), a reaction burst into one
reaction per sender and the rest as "+N", and a kick into its notice.
"""

from collections.abc import Callable
from dataclasses import dataclass

from app.client.notices import Notice
from app.client.room_model import RoomModel
from app.protocol.events import AnyRoomEvent, MemberUpdated, RoomEnded
from app.protocol.model import Action
from app.protocol.replies import Reactions

# My own member updates worth a notice (their codes are notices.TEXTS keys).
MY_CAUSES = frozenset(
    {
        "invited", "hand_approved", "hand_denied", "moved_to_audience", "muted", "unmuted",
        "made_cohost", "became_host",
    }
)  # fmt: skip
KICK_CODES = frozenset({"kicked_removed", "kicked_banned", "kicked_replaced", "kicked_timed_out"})

Say = Callable[..., None]  # (kind, code, **params): one notice


@dataclass
class RoomNotices:
    say: Say
    react: Callable[[Notice], None]  # one reaction to show: Notice(reaction, who)

    def event(self, model: RoomModel | None, me: int, event: AnyRoomEvent) -> None:
        room = model.snapshot.title if model is not None else ""
        if isinstance(event, RoomEnded):
            self.say("ended", "ended", room=room)
        elif isinstance(event, MemberUpdated):
            member, cause = event.member, event.cause
            if member.user_id == me:
                if cause in MY_CAUSES:
                    kind = {"invited": "invited", "hand_approved": "approved"}.get(cause, "info")
                    self.say(kind, cause, room=room, who=_name_of(model, event.by))
            elif cause == "hand_raised" and model is not None and model.may(Action.APPROVE_HAND):
                self.say("hand", "hand_raised", room=room, who=member.name)

    def reactions(self, burst: Reactions) -> None:
        """A room's burst of reactions: the named senders, then how many more."""
        named: dict[str, int] = {}
        for sender in burst.senders:
            named[sender.reaction] = named.get(sender.reaction, 0) + 1
            self.react(Notice(sender.reaction, sender.name))
        for reaction, count in burst.counts.items():
            more = count - named.get(reaction, 0)
            if more > 0:
                self.react(Notice(reaction, f"+{more}"))

    def kicked(self, reason: str | None, room: str) -> None:
        """Out of the room: a kick says why; leaving or the room ending says nothing here."""
        if reason is None or reason in ("left", "ended"):
            return
        code = f"kicked_{reason}"
        if code in KICK_CODES:
            self.say("kicked", code, room=room)
        else:
            self.say("kicked", "kicked_other", room=room, detail=reason)


def _name_of(model: RoomModel | None, user_id: int | None) -> str:
    member = model.members.get(user_id) if model is not None and user_id else None
    return member.name if member is not None else ""
