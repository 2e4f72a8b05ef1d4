"""Every message that crosses the WebSocket, as typed schemas, plus the one codec.

This package imports nothing from the rest of the app. It is append-only: a
message type is never renamed, renumbered or repurposed; new fields get
defaults so that older peers keep decoding.
"""

from app.protocol.codec import (
    MAX_MESSAGE_BYTES,
    DecodeFailure,
    Envelope,
    decode_body,
    decode_client,
    decode_server,
    encode,
    encode_request,
)
from app.protocol.errors import ErrorCode
from app.protocol.version import PROTOCOL_VERSION

__all__ = [
    "MAX_MESSAGE_BYTES",
    "PROTOCOL_VERSION",
    "DecodeFailure",
    "Envelope",
    "ErrorCode",
    "decode_body",
    "decode_client",
    "decode_server",
    "encode",
    "encode_request",
]
