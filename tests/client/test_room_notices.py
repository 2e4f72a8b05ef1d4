"""What room events, reaction bursts and kicks tell the user (app/client/room_notices.py)."""

from typing import Any

from app.client.notices import Notice
from app.client.room_model import RoomModel
from app.client.room_notices import RoomNotices
from app.protocol.events import MemberUpdated, RoomEnded
from app.protocol.model import ReactionSender, Role
from app.protocol.replies import Reactions
from app.server.rooms import PERMISSIONS

from .test_room_model import member, snap


class Heard:
    def __init__(self) -> None:
        self.said: list[tuple[str, str, dict[str, Any]]] = []
        self.reactions: list[Notice] = []
        self.notices = RoomNotices(self.say, self.reactions.append)

    def say(self, kind: str, code: str, **params: Any) -> None:
        self.said.append((kind, code, params))


def test_my_updates_name_the_room_and_who_acted_and_hands_reach_moderators_only() -> None:
    heard = Heard()
    model = RoomModel(snap(), me=2)
    model.members[1] = member(1, Role.HOST)
    model.members[2] = member(2)
    invited = MemberUpdated(member=member(2), cause="invited", by=1)
    heard.notices.event(model, 2, invited)
    assert heard.said == [("invited", "invited", {"room": "t", "who": "u1"})]
    hand = MemberUpdated(member=member(3, hand_raised_at=1.0), cause="hand_raised")
    model.allowed = PERMISSIONS[Role.LISTENER]  # what the server pushes a listener
    heard.notices.event(model, 2, hand)  # I am a listener: not my business
    assert len(heard.said) == 1
    model.allowed = PERMISSIONS[Role.HOST]  # the host's own view of the room
    heard.notices.event(model, 1, hand)  # the host hears of it
    assert heard.said[-1] == ("hand", "hand_raised", {"room": "t", "who": "u3"})
    heard.notices.event(model, 2, RoomEnded(reason="ended_by_host"))
    assert heard.said[-1] == ("ended", "ended", {"room": "t"})


def test_reactions_name_the_senders_then_count_the_rest_and_kicks_say_why() -> None:
    heard = Heard()
    burst = Reactions(
        room_id="r1",
        counts={"clap": 5, "fire": 1},
        senders=[ReactionSender(user_id=1, name="ayu", reaction="clap")],
    )
    heard.notices.reactions(burst)
    assert heard.reactions == [Notice("clap", "ayu"), Notice("clap", "+4"), Notice("fire", "+1")]
    heard.notices.kicked("banned", "Town hall")
    heard.notices.kicked("left", "Town hall")  # we left: nothing to say
    heard.notices.kicked("gremlins", "Town hall")
    assert heard.said == [
        ("kicked", "kicked_banned", {"room": "Town hall"}),
        ("kicked", "kicked_other", {"room": "Town hall", "detail": "gremlins"}),
    ]
