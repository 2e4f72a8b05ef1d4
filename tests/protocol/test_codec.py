"""The codec: every request round-trips, every malformed frame gets the right code."""

import json
from typing import Any

import msgspec
import pytest

from app.protocol import (
    MAX_MESSAGE_BYTES,
    DecodeFailure,
    Envelope,
    ErrorCode,
    decode_body,
    decode_client,
    decode_server,
    encode_request,
)
from app.protocol import encode as encode_message
from app.protocol.events import MemberUpdated
from app.protocol.model import MemberView
from app.protocol.replies import Error, Event, Kicked, Ok
from app.protocol.requests import ClientMessage, JoinRoom, Mute, SetTopic
from tests.protocol.schema import (
    FAMILIES,
    REPLY_DATA,
    REQUESTS,
    ROOM_EVENTS,
    StructType,
    sample,
    subclasses,
    tag_of,
)


def failure(raw: bytes | str) -> DecodeFailure:
    with pytest.raises(DecodeFailure) as caught:
        decode_client(raw)
    return caught.value


def as_json(message: msgspec.Struct) -> dict[str, Any]:
    loaded = json.loads(encode_message(message))
    assert isinstance(loaded, dict)
    return loaded


@pytest.mark.parametrize("base", list(FAMILIES), ids=lambda base: base.__name__)
def test_every_message_class_is_in_its_union(base: StructType) -> None:
    # A class left out of the union would be undecodable on the other side.
    assert subclasses(base) == set(FAMILIES[base])


@pytest.mark.parametrize("base", list(FAMILIES), ids=lambda base: base.__name__)
def test_tags_are_unique_within_a_family(base: StructType) -> None:
    tags = [tag_of(cls) for cls in FAMILIES[base]]
    assert len(tags) == len(set(tags))


@pytest.mark.parametrize("cls", REQUESTS, ids=tag_of)
def test_every_request_round_trips(cls: StructType) -> None:
    request = sample(cls)
    wire = encode_request(7, request)
    assert list(json.loads(wire))[:2] == ["type", "id"]
    assert json.loads(wire)["type"] == tag_of(cls)
    assert decode_client(wire) == Envelope(7, request)
    assert decode_client(wire.decode()) == Envelope(7, request)  # text frames arrive as str too


def test_the_envelope_id_sits_beside_the_fields_as_it_always_did() -> None:
    assert encode_request(7, Mute(user_id=3)) == b'{"type":"mute","id":7,"user_id":3}'


@pytest.mark.parametrize("cls", REQUESTS, ids=tag_of)
def test_a_request_without_its_envelope_decodes_alone(cls: StructType) -> None:
    # Forwarded between nodes: the body only; an id there (an older node's) is ignored.
    request = sample(cls)
    assert decode_body(encode_message(request)) == request
    assert decode_body(encode_request(3, request)) == request


def test_a_frame_without_an_id_is_invalid() -> None:
    exc = failure(encode_message(Mute(user_id=3)))
    assert exc.code is ErrorCode.INVALID
    assert "id" in exc.message


@pytest.mark.parametrize("cls", REQUESTS, ids=tag_of)
def test_every_request_decodes_with_only_its_required_fields(cls: StructType) -> None:
    # Optional fields have defaults, so an older client that omits them still works.
    full = json.loads(encode_request(1, sample(cls)))
    required = {"type", "id"} | {f.encode_name for f in msgspec.structs.fields(cls) if f.required}
    decoded = decode_client(json.dumps({k: v for k, v in full.items() if k in required}))
    assert type(decoded.request) is cls


def test_malformed_json_is_bad_json() -> None:
    exc = failure(b'{"type": "hello", "id": 1,')
    assert exc.code is ErrorCode.BAD_JSON
    assert exc.request_id is None


def test_binary_garbage_is_bad_json() -> None:
    assert failure(b"\xff\xfe\x00").code is ErrorCode.BAD_JSON


def test_unknown_type_is_unknown_type_and_keeps_the_id() -> None:
    exc = failure(json.dumps({"type": "fly_to_the_moon", "id": 41}))
    assert exc.code is ErrorCode.UNKNOWN_TYPE
    assert exc.request_id == 41


def test_unknown_type_is_told_by_its_tag_not_by_the_error_text() -> None:
    # A known request whose bad value reads like msgspec's tag error is invalid...
    mimic = {"type": "react", "id": 2, "reaction": "Invalid value `$.type`"}
    assert failure(json.dumps(mimic)).code is ErrorCode.INVALID
    # ...and an unknown type is unknown whatever else is wrong with the frame.
    exc = failure(json.dumps({"type": "fly", "id": 4, "user_id": "x"}))
    assert exc.code is ErrorCode.UNKNOWN_TYPE
    assert "'fly'" in exc.message


def test_a_type_that_is_not_a_string_is_invalid() -> None:
    assert failure(json.dumps({"type": 5, "id": 1})).code is ErrorCode.INVALID


def test_missing_type_is_invalid() -> None:
    exc = failure(json.dumps({"id": 3, "room_id": "r"}))
    assert exc.code is ErrorCode.INVALID
    assert exc.request_id == 3


def test_wrong_field_type_is_invalid_and_keeps_the_id() -> None:
    exc = failure(json.dumps({"type": "join_room", "id": 9, "room_id": 12345}))
    assert exc.code is ErrorCode.INVALID
    assert exc.request_id == 9
    assert "room_id" in exc.message


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    decoded = decode_client(json.dumps({"type": "mute", "id": 5, "user_id": 3, "role": "host"}))
    assert decoded == Envelope(5, Mute(user_id=3))


def test_missing_required_field_is_invalid() -> None:
    exc = failure(json.dumps({"type": "set_topic", "id": 6}))
    assert exc.code is ErrorCode.INVALID
    assert exc.request_id == 6


def test_reaction_outside_the_palette_is_invalid() -> None:
    exc = failure(json.dumps({"type": "react", "id": 8, "reaction": "<b>spam</b>"}))
    assert exc.code is ErrorCode.INVALID


@pytest.mark.parametrize("bad_id", [True, "12", 1.5, None])
def test_an_id_that_is_not_an_integer_is_not_recovered(bad_id: object) -> None:
    exc = failure(json.dumps({"type": "list_rooms", "id": bad_id}))
    assert exc.code is ErrorCode.INVALID
    assert exc.request_id is None


def test_a_json_value_that_is_not_an_object_is_invalid() -> None:
    exc = failure(b"[1, 2, 3]")
    assert exc.code is ErrorCode.INVALID
    assert exc.request_id is None


def _padded_topic(size: int) -> bytes:
    """A valid set_topic request of exactly `size` bytes, padded with a field
    the server ignores (every known field is bounded well below the limit)."""
    empty = encode_request(1, SetTopic(topic="")).rstrip(b"}") + b',"pad":""}'
    wire = empty[:-2] + b"a" * (size - len(empty)) + b'"}'
    assert len(wire) == size
    return wire


def test_message_at_the_limit_decodes() -> None:
    assert isinstance(decode_client(_padded_topic(MAX_MESSAGE_BYTES)).request, SetTopic)


def test_oversized_message_is_too_large_and_keeps_the_id() -> None:
    exc = failure(_padded_topic(MAX_MESSAGE_BYTES + 1))
    assert exc.code is ErrorCode.TOO_LARGE
    assert exc.request_id == 1


def test_the_limit_counts_utf8_bytes_not_characters() -> None:
    # 'é' is two bytes in UTF-8: this text is under the limit in characters only.
    topic = "é" * (MAX_MESSAGE_BYTES // 2 + 16)
    text = json.dumps({"type": "set_topic", "id": 1, "topic": topic}, ensure_ascii=False)
    assert len(text) < MAX_MESSAGE_BYTES
    assert failure(text).code is ErrorCode.TOO_LARGE


def test_error_codes_are_unique_snake_case() -> None:
    values = [code.value for code in ErrorCode]
    assert len(values) == len(set(values))
    assert all(v.replace("_", "").isalpha() and v.islower() for v in values)


# Server to client ---------------------------------------------------------------


def _server_messages() -> list[msgspec.Struct]:
    messages: list[msgspec.Struct] = [Ok(id=1), Error(id=None, code="bad_json", message="x")]
    messages += [Ok(id=2, data=sample(cls)) for cls in REPLY_DATA]
    messages += [Event(room_id="r", seq=3, event=sample(cls)) for cls in ROOM_EVENTS]
    messages += [Error(id=4, code=code.value, message="m") for code in ErrorCode]
    messages.append(Kicked(room_id="r", reason="banned"))
    return messages


@pytest.mark.parametrize("message", _server_messages(), ids=lambda m: json.dumps(as_json(m))[:60])
def test_server_messages_round_trip_through_decode_server(message: msgspec.Struct) -> None:
    assert decode_server(encode_message(message)) == message


def test_server_messages_tolerate_fields_they_do_not_know() -> None:
    # Append-only: a newer server's extra fields must not break an older client.
    event = as_json(Event(room_id="r", seq=1, event=sample(MemberUpdated)))
    event["shard"] = 3
    event["event"]["loudness"] = 0.5
    event["event"]["member"]["avatar"] = "x.png"
    decoded = decode_server(json.dumps(event))
    assert isinstance(decoded, Event)
    assert isinstance(decoded.event, MemberUpdated)
    assert isinstance(decoded.event.member, MemberView)


def test_error_code_is_a_plain_string_so_new_codes_still_decode() -> None:
    decoded = decode_server(json.dumps({"type": "error", "id": 1, "code": "new", "message": ""}))
    assert isinstance(decoded, Error)
    assert decoded.code == "new"


def test_decode_client_returns_the_concrete_request() -> None:
    decoded: ClientMessage = decode_client(encode_request(1, JoinRoom(room_id="abc"))).request
    assert decoded == JoinRoom(room_id="abc", invite_code=None)
