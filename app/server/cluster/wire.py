"""What nodes send each other through Redis: msgpack envelopes around the hub's bytes.

Node-to-node only (clients never see these), so they are not part of
docs/protocol.md; docs/cluster.md describes them. Arrays rather than maps:
an event's envelope costs a few bytes over its frame.
"""

import msgspec


class EventEnvelope(msgspec.Struct, array_like=True, frozen=True):
    epoch: int  # the origin's lease epoch when it published
    seq: int  # 0: a notice (not numbered; see Lease.notify)
    frame: bytes  # the encoded Event, the same bytes every member gets
    # Notices only: the member it is for (0: every member), and whether it
    # ends that member's place (a Kicked frame: the node detaches them).
    target: int = 0
    kick: bool = False
    node: str = ""  # only this node delivers it ('': every node)


class RequestEnvelope(msgspec.Struct, array_like=True, frozen=True):
    request_id: int  # unique per sender incarnation; retries reuse it
    sender: str  # the forwarding node's id; the reply goes to its channel
    epoch: int  # the lease epoch the sender addressed
    body: bytes


class ReplyEnvelope(msgspec.Struct, array_like=True, frozen=True):
    request_id: int
    ok: bool  # False: the origin's handler failed; body is the reason (UTF-8)
    body: bytes


_encoder = msgspec.msgpack.Encoder()
_events = msgspec.msgpack.Decoder(EventEnvelope)
_requests = msgspec.msgpack.Decoder(RequestEnvelope)
_replies = msgspec.msgpack.Decoder(ReplyEnvelope)


def encode(envelope: EventEnvelope | RequestEnvelope | ReplyEnvelope) -> bytes:
    return _encoder.encode(envelope)


def decode_event(data: bytes) -> EventEnvelope:
    return _events.decode(data)


def decode_request(data: bytes) -> RequestEnvelope:
    return _requests.decode(data)


def decode_reply(data: bytes) -> ReplyEnvelope:
    return _replies.decode(data)
