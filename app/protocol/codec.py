"""The one codec: JSON text frames, validated against the schemas on arrival."""

from dataclasses import dataclass
from typing import Any, get_args

import msgspec

from app.protocol.errors import ErrorCode
from app.protocol.replies import AnyServerMessage
from app.protocol.requests import MAX_REQUEST_ID, ClientMessage, Request, RequestId

# Application limit on one message. Larger frames (up to the transport's hard
# limit) are answered with `too_large` and the connection stays open.
MAX_MESSAGE_BYTES = 64 * 1024

_encoder = msgspec.json.Encoder()
_client_decoder: msgspec.json.Decoder[ClientMessage] = msgspec.json.Decoder(ClientMessage)
_server_decoder: msgspec.json.Decoder[AnyServerMessage] = msgspec.json.Decoder(AnyServerMessage)
_loose_decoder = msgspec.json.Decoder()


class _Tag(msgspec.Struct):
    """Only a frame's tag: read after a failed decode, to tell an unknown
    type from a known one with bad fields."""

    type: str


_tag_decoder = msgspec.json.Decoder(_Tag)
_KNOWN_TYPES = frozenset(cls.__struct_config__.tag for cls in get_args(ClientMessage))


class _Id(msgspec.Struct):
    """Only a frame's envelope id (the request's own decoder ignores it)."""

    id: RequestId


_id_decoder = msgspec.json.Decoder(_Id)


@dataclass(frozen=True, slots=True)
class Envelope:
    """A request as it arrived: its id (for the reply) and the request itself."""

    id: int
    request: ClientMessage


class DecodeFailure(Exception):
    """A frame that is not a valid message; carries the error reply to send."""

    def __init__(self, code: ErrorCode, message: str, request_id: int | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


def encode(message: msgspec.Struct) -> bytes:
    return _encoder.encode(message)


def encode_request(request_id: int, request: Request) -> bytes:
    """A request framed with its id: `{"type": …, "id": …, fields…}`, as always."""
    fields = msgspec.to_builtins(request)
    return _encoder.encode({"type": fields.pop("type"), "id": request_id, **fields})


def _request_id(raw: bytes) -> int | None:
    """Best effort: the `id` of an invalid request, so the error can name it."""
    try:
        loose: Any = _loose_decoder.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None
    if isinstance(loose, dict):
        rid = loose.get("id")
        if isinstance(rid, int) and not isinstance(rid, bool) and 0 <= rid <= MAX_REQUEST_ID:
            return rid
    return None


def decode_client(raw: bytes | str) -> Envelope:
    """A client's frame: the request and its id, or DecodeFailure saying why not."""
    data = raw.encode() if isinstance(raw, str) else raw
    if len(data) > MAX_MESSAGE_BYTES:
        # Still name the request, so the client's waiter gets its answer.
        raise DecodeFailure(
            ErrorCode.TOO_LARGE,
            f"message is {len(data)} bytes; the limit is {MAX_MESSAGE_BYTES}",
            _request_id(data),
        )
    try:
        request = _client_decoder.decode(data)
        return Envelope(_id_decoder.decode(data).id, request)
    except msgspec.ValidationError as exc:
        rid = _request_id(data)
        try:
            tag = _tag_decoder.decode(data).type
        except (msgspec.ValidationError, RecursionError):
            tag = None  # no string tag at all (or not an object): invalid, below
        if tag is not None and tag not in _KNOWN_TYPES:
            raise DecodeFailure(
                ErrorCode.UNKNOWN_TYPE, f"unknown message type: {tag!r}", rid
            ) from None
        raise DecodeFailure(ErrorCode.INVALID, str(exc), rid) from None
    except msgspec.DecodeError as exc:
        raise DecodeFailure(ErrorCode.BAD_JSON, f"not valid JSON: {exc}", None) from None
    except RecursionError:
        # msgspec stops at Python's recursion limit; no request nests more
        # than a few levels, so this is never a request.
        raise DecodeFailure(ErrorCode.INVALID, "the message is nested too deeply", None) from None


def decode_body(raw: bytes) -> ClientMessage:
    """A request without its envelope (one node forwarding it to another)."""
    return _client_decoder.decode(raw)


def decode_server(raw: bytes | str) -> AnyServerMessage:
    return _server_decoder.decode(raw)
