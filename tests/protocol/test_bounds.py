"""Every number and string a client sends is bounded in the schema, and text
shown to others is made safe, so that nothing out of range reaches the core
or the database (a ban of user 2**63 once stopped the server's clock)."""

import json
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest

from app.protocol import DecodeFailure, ErrorCode, decode_client
from app.protocol import encode as encode_message
from app.protocol.requests import MAX_REQUEST_ID, MAX_USER_ID, CreateRoom, SetTopic
from tests.protocol.schema import REQUESTS, sample, tag_of


def _scalars(tp: mi.Type) -> list[mi.Type]:
    """The int and str types inside `tp` (through optionals and unions)."""
    if isinstance(tp, mi.UnionType):
        return [t for arg in tp.types for t in _scalars(arg)]
    if isinstance(tp, (mi.IntType, mi.StrType)):
        return [tp]
    return []


def _fields(cls: type[msgspec.Struct]) -> list[tuple[str, mi.Type]]:
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    return [(f.name, t) for f in info.fields for t in _scalars(f.type)]


BOUNDED = [(cls, name, tp) for cls in REQUESTS for name, tp in _fields(cls)]


@pytest.mark.parametrize(
    ("cls", "name", "tp"), BOUNDED, ids=[f"{tag_of(c)}.{n}" for c, n, _ in BOUNDED]
)
def test_every_number_and_string_of_every_request_is_bounded(
    cls: type[msgspec.Struct], name: str, tp: mi.Type
) -> None:
    if isinstance(tp, mi.IntType):
        assert tp.ge is not None and tp.le is not None, f"{tag_of(cls)}.{name} is unbounded"
        assert tp.le <= MAX_REQUEST_ID
    else:
        assert isinstance(tp, mi.StrType)
        assert tp.max_length is not None, f"{tag_of(cls)}.{name} has no length limit"


def _request(cls: type[msgspec.Struct], fields: dict[str, Any]) -> dict[str, Any]:
    loaded = json.loads(encode_message(sample(cls)))
    assert isinstance(loaded, dict)
    loaded.update(fields)
    return loaded


@pytest.mark.parametrize(
    ("cls", "name", "tp"), BOUNDED, ids=[f"{tag_of(c)}.{n}" for c, n, _ in BOUNDED]
)
def test_a_value_past_its_bound_is_invalid_and_names_the_request(
    cls: type[msgspec.Struct], name: str, tp: mi.Type
) -> None:
    if isinstance(tp, mi.IntType):
        assert tp.le is not None
        value: Any = tp.le + 1
    else:
        assert isinstance(tp, mi.StrType) and tp.max_length is not None
        value = "a" * (tp.max_length + 1)
    frame = _request(cls, {"id": 12, name: value})
    with pytest.raises(DecodeFailure) as caught:
        decode_client(json.dumps(frame))
    assert caught.value.code is ErrorCode.INVALID
    assert caught.value.request_id == (12 if name != "id" else None)
    assert name in caught.value.message


@pytest.mark.parametrize("user_id", [0, -1, MAX_USER_ID + 1, 2**63, 10**30])
def test_user_ids_outside_the_stored_range_are_refused(user_id: int) -> None:
    with pytest.raises(DecodeFailure) as caught:
        decode_client(json.dumps({"type": "ban", "id": 3, "user_id": user_id}))
    assert (caught.value.code, caught.value.request_id) == (ErrorCode.INVALID, 3)


def test_the_largest_user_id_is_accepted() -> None:
    ban = decode_client(json.dumps({"type": "ban", "id": 3, "user_id": MAX_USER_ID}))
    assert getattr(ban.request, "user_id", None) == MAX_USER_ID


def test_an_out_of_range_id_is_not_echoed() -> None:
    with pytest.raises(DecodeFailure) as caught:
        decode_client(json.dumps({"type": "ban", "id": 2**64, "user_id": 1}))
    assert caught.value.request_id is None


@pytest.mark.parametrize("depth", [1_000, 5_000, 9_000])
def test_deeply_nested_json_is_an_error_not_a_crash(depth: int) -> None:
    # In an ignored field, where the schema does not stop the descent early.
    arrays = '{"type": "hello", "id": 9, "protocol": 1, "x": ' + "[" * depth + "]" * depth + "}"
    objects = '{"type": "hello", "id": 9, "protocol": 1, "x": ' + '{"a":' * depth + "1"
    for frame in (arrays, objects + "}" * (depth + 1)):
        with pytest.raises(DecodeFailure) as caught:
            decode_client(frame)
        assert caught.value.code is ErrorCode.INVALID
        assert "nested too deeply" in caught.value.message


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("Town\nhall", "Town hall"),
        ("Town\u2028hall", "Town hall"),
        ("Town\u2029hall\r\n", "Town hall"),  # then trimmed by the core
        ("a\tb\x85c", "a b c"),
        ("مرحبا\u200fworld", "مرحبا\u200fworld"),  # a right-to-left mark is fine
        ("plain", "plain"),
    ],
)
def test_separators_in_shown_text_become_spaces(sent: str, kept: str) -> None:
    room = decode_client(json.dumps({"type": "create_room", "id": 1, "title": sent})).request
    assert isinstance(room, CreateRoom)
    assert room.title.rstrip() == kept
    topic = decode_client(json.dumps({"type": "set_topic", "id": 1, "topic": sent})).request
    assert isinstance(topic, SetTopic) and topic.topic.rstrip() == kept


@pytest.mark.parametrize(
    "char", ["\x00", "\x07", "\x1b", "\x7f", "\x9b", "\u202e", "\u202a", "\u2066", "\u2069"]
)
def test_invisible_characters_that_change_other_text_are_refused(char: str) -> None:
    for frame in (
        {"type": "create_room", "id": 4, "title": f"exe{char}.jpg"},
        {"type": "create_room", "id": 4, "title": "ok", "topic": f"a{char}b"},
        {"type": "set_topic", "id": 4, "topic": f"a{char}b"},
    ):
        with pytest.raises(DecodeFailure) as caught:
            decode_client(json.dumps(frame))
        assert (caught.value.code, caught.value.request_id) == (ErrorCode.INVALID, 4)
        assert f"U+{ord(char):04X}" in caught.value.message


@pytest.mark.parametrize("cls", REQUESTS, ids=tag_of)
@pytest.mark.parametrize("rid", [-1, MAX_REQUEST_ID + 1])
def test_the_envelope_id_is_bounded_on_every_request(cls: type[msgspec.Struct], rid: int) -> None:
    with pytest.raises(DecodeFailure) as caught:
        decode_client(json.dumps(_request(cls, {"id": rid})))
    assert (caught.value.code, caught.value.request_id) == (ErrorCode.INVALID, None)
    assert decode_client(json.dumps(_request(cls, {"id": MAX_REQUEST_ID}))).id == MAX_REQUEST_ID
