"""What a node sends a room's origin on behalf of its members, and the answers.

Node to node only (clients never see these; docs/cluster.md describes them).
The member's own request travels in the protocol's encoding, and the answer
is the protocol's `ok` or `error` frame, so the origin runs exactly the code
a member connected to it would, and the member's node hands the answer on.
"""

from typing import Literal

import msgspec

from app.protocol import ErrorCode, decode_server, encode
from app.protocol.replies import AnyReplyData, Error, Ok
from app.server.admission import Busy
from app.server.rooms import RoomError

Op = Literal[
    "join",
    "command",
    "invite",
    "recording",
    "sync",
    "audience",
    "media",
    "ptt",
    "detach",
    "bans",
    "relay",  # node to node: an edge's subscription to the room's mix (relay_links)
    "volumes",
]


class Forwarded(msgspec.Struct, array_like=True, frozen=True):
    op: Op
    user_id: int
    name: str
    node: str  # the node the member is connected to
    request: bytes = b""  # the member's request, protocol-encoded (command, audience)
    invite_code: str | None = None  # join
    # recording on, push-to-talk pressed; media: the member's node relays
    # listeners (the origin answers an empty SDP for a listener: "serve it there")
    flag: bool = False
    sdp: str = ""  # media


class MemberState(msgspec.Struct, array_like=True, frozen=True):
    """A member's place as the origin mirrors it into Redis, for a takeover:
    all of it, durable or not, so that listeners, invitations and self-mutes
    come back too (the store's copy wins for what it holds)."""

    name: str
    role: str
    joined_at: float
    role_since: float
    hand_raised_at: float | None
    invited: bool
    mod_muted: bool
    self_muted: bool


_encoder = msgspec.msgpack.Encoder()
_requests = msgspec.msgpack.Decoder(Forwarded)
_members = msgspec.msgpack.Decoder(MemberState)


def encode_request(request: Forwarded) -> bytes:
    return _encoder.encode(request)


def decode_request(body: bytes) -> Forwarded:
    return _requests.decode(body)


def encode_member(state: MemberState) -> bytes:
    return _encoder.encode(state)


def decode_member(data: bytes) -> MemberState:
    return _members.decode(data)


def answer(data: AnyReplyData | None) -> bytes:
    return encode(Ok(id=0, data=data))


def refusal(exc: RoomError | Busy) -> bytes:
    if isinstance(exc, Busy):
        message = f"the server is admitting joins; try again in {exc.retry_after:.1f} s"
        return encode(
            Error(id=0, code=ErrorCode.BUSY, message=message, retry_after=exc.retry_after)
        )
    return encode(Error(id=0, code=exc.code, message=exc.message))


def unpack(reply: bytes) -> AnyReplyData | None:
    """The origin's answer: its data, or its refusal raised here as it was there."""
    message = decode_server(reply)
    if isinstance(message, Ok):
        return message.data
    if isinstance(message, Error):
        if message.code == ErrorCode.BUSY and message.retry_after is not None:
            raise Busy(message.retry_after)
        try:
            code = ErrorCode(message.code)
        except ValueError:
            code = ErrorCode.INTERNAL
        raise RoomError(code, message.message)
    raise RoomError(ErrorCode.INTERNAL, f"the room's origin answered {type(message).__name__}")
