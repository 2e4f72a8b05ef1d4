"""Introspection of app/protocol shared by the protocol tests.

Everything is derived from the schemas themselves, so that a message type,
field or code added to app/protocol is covered without editing the tests.
"""

import enum
import types
import typing
from typing import Any, Literal, Union

import msgspec

from app.protocol import events, model, replies, requests

StructType = type[msgspec.Struct]

# The four tagged families and the union each one is decoded through.
REQUESTS: tuple[StructType, ...] = typing.get_args(requests.ClientMessage)
REPLY_DATA: tuple[StructType, ...] = typing.get_args(replies.AnyReplyData)
SERVER_MESSAGES: tuple[StructType, ...] = typing.get_args(replies.AnyServerMessage)
ROOM_EVENTS: tuple[StructType, ...] = typing.get_args(events.AnyRoomEvent)
FAMILIES: dict[StructType, tuple[StructType, ...]] = {
    requests.Request: REQUESTS,
    replies.ReplyData: REPLY_DATA,
    replies.ServerMessage: SERVER_MESSAGES,
    events.RoomEvent: ROOM_EVENTS,
}
# Untagged shapes carried inside the messages.
SHAPES: tuple[StructType, ...] = (
    model.MemberView,
    model.RoomSnapshot,
    model.RoomSummary,
    model.RecordingInfo,
    model.ReplayInfo,
    model.AudienceCount,
    model.ReactionSender,
    model.BannedUser,
    model.ScheduledRoom,
    model.FloorState,
)


def tag_of(cls: StructType) -> str:
    tag = cls.__struct_config__.tag
    assert isinstance(tag, str), f"{cls.__name__} has no string tag"
    return tag


def subclasses(base: StructType) -> set[StructType]:
    """Every class defined below `base`, at any depth."""
    found: set[StructType] = set()
    todo = [base]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def field_types(cls: StructType) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {name: hints[name] for name in cls.__struct_fields__}


def literal_values(tp: Any) -> list[str]:
    """The string values a field may take when its type is (or contains) a Literal or StrEnum."""
    origin = typing.get_origin(tp)
    if origin is Literal:
        return [str(v) for v in typing.get_args(tp)]
    if origin in (Union, types.UnionType, list):
        return [v for arg in typing.get_args(tp) for v in literal_values(arg)]
    if isinstance(tp, type) and issubclass(tp, enum.StrEnum):
        return [member.value for member in tp]
    return []


def sample(tp: Any) -> Any:
    """A valid, non-default value of type `tp`: the first choice of every union."""
    origin = typing.get_origin(tp)
    if origin is Literal:
        return typing.get_args(tp)[0]
    if origin in (Union, types.UnionType):
        return sample(next(arg for arg in typing.get_args(tp) if arg is not type(None)))
    if origin is list:
        return [sample(typing.get_args(tp)[0])]
    if origin is dict:
        key, value = typing.get_args(tp)
        return {sample(key): sample(value)}
    if isinstance(tp, type):
        if issubclass(tp, msgspec.Struct):
            return tp(**{name: sample(ftp) for name, ftp in field_types(tp).items()})
        if issubclass(tp, enum.Enum):
            return next(iter(tp))
        if tp is bool:
            return True
        if tp is int:
            return 7
        if tp is float:
            return 1.5
        if tp is str:
            return "sample"
    raise TypeError(f"no sample for {tp!r}")
