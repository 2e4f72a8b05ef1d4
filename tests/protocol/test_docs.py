"""docs/protocol.md documents everything app/protocol defines, so it cannot fall behind.

The rules, checked against the schemas themselves:
- every request, server message, reply data kind and room event has a heading
  naming its tag as a code span (e.g. "#### `join_room`") in its part of the
  doc, and that section names each of its fields as a code span;
- so do the shared shapes (MemberView, RoomSnapshot, RoomSummary), by class name;
- every value a field may take from a fixed set (cause, reason, role, status,
  reaction) appears as a code span in the section of a message that carries it,
  or under "Shared shapes";
- every ErrorCode value appears under "Error codes", and no heading there or
  in a message part names something the schemas do not define;
- the "Constants" table agrees with the code.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.protocol import MAX_MESSAGE_BYTES, PROTOCOL_VERSION, ErrorCode, events, replies, requests
from tests.protocol.schema import (
    FAMILIES,
    SHAPES,
    StructType,
    field_types,
    literal_values,
    tag_of,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"

# The part of the doc (its "## " heading) where each family is documented.
PARTS: dict[StructType, str] = {
    requests.Request: "Requests",
    replies.ServerMessage: "Server messages",
    replies.ReplyData: "Reply data",
    events.RoomEvent: "Room events",
}
SHAPES_PART = "Shared shapes"
ERRORS_PART = "Error codes"
CONSTANTS_PART = "Constants"

CODE_SPAN = re.compile(r"`([^`]+)`")


@dataclass
class Section:
    level: int
    title: str
    body: list[str] = field(default_factory=list)

    @property
    def spans(self) -> set[str]:
        return set(CODE_SPAN.findall("\n".join([self.title, *self.body])))

    @property
    def first_span(self) -> str | None:
        found = CODE_SPAN.match(self.title)
        return found.group(1) if found else None


def parse(text: str) -> list[Section]:
    """Every heading with the text under it, down to the next heading of its level or above."""
    sections: list[Section] = []
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        heading = None if fenced else re.match(r"(#{1,6}) (.*)", line)
        if heading:
            level = len(heading.group(1))
            for open_section in sections:
                if open_section.level >= level:
                    open_section.level = -open_section.level  # closed
            sections.append(Section(level, heading.group(2).strip()))
            continue
        for open_section in sections:
            if open_section.level > 0:
                open_section.body.append(line)
    for section in sections:
        section.level = abs(section.level)
    return sections


SECTIONS = parse(DOC.read_text(encoding="utf-8"))


def part(title: str) -> Section:
    found = [s for s in SECTIONS if s.level == 2 and s.title == title]
    assert len(found) == 1, f'docs/protocol.md needs exactly one "## {title}" heading'
    return found[0]


def subsections(title: str) -> list[Section]:
    """The headings below the part `title`, each with its own text."""
    parent = part(title)
    start = SECTIONS.index(parent) + 1
    inner: list[Section] = []
    for section in SECTIONS[start:]:
        if section.level <= 2:
            break
        inner.append(section)
    return inner


def section_for(title: str, name: str) -> Section | None:
    for section in subsections(title):
        if section.first_span == name:
            return section
    return None


def own_fields(cls: StructType, base: StructType | None) -> list[str]:
    inherited = set(base.__struct_fields__) if base is not None else set()
    return [name for name in cls.__struct_fields__ if name not in inherited]


def gaps_of(cls: StructType, name: str, title: str, base: StructType | None) -> list[str]:
    """What the doc misses about `cls`, documented under a heading `name` in part `title`."""
    section = section_for(title, name)
    if section is None:
        return [f'no heading "`{name}`" under "## {title}"']
    missing: list[str] = []
    shared = part(SHAPES_PART).spans
    types = field_types(cls)
    for fname in own_fields(cls, base):
        if fname not in section.spans:
            missing.append(f"`{name}`: field `{fname}` is not documented")
        for value in literal_values(types[fname]):
            if value not in section.spans and value not in shared:
                missing.append(f"`{name}`: `{fname}` value `{value}` is not documented")
    return missing


FAMILY_CASES = [(base, cls) for base, members in FAMILIES.items() for cls in members]


@pytest.mark.parametrize(
    ("base", "cls"), FAMILY_CASES, ids=[f"{PARTS[b]}:{tag_of(c)}" for b, c in FAMILY_CASES]
)
def test_every_message_is_documented(base: StructType, cls: StructType) -> None:
    gaps = gaps_of(cls, tag_of(cls), PARTS[base], base)
    assert not gaps, "docs/protocol.md: " + "; ".join(gaps)


@pytest.mark.parametrize("cls", SHAPES, ids=lambda cls: cls.__name__)
def test_every_shared_shape_is_documented(cls: StructType) -> None:
    gaps = gaps_of(cls, cls.__name__, SHAPES_PART, None)
    assert not gaps, "docs/protocol.md: " + "; ".join(gaps)


def test_every_error_code_is_documented() -> None:
    documented = part(ERRORS_PART).spans
    missing = [code.value for code in ErrorCode if code.value not in documented]
    assert not missing, f"docs/protocol.md, '## {ERRORS_PART}' misses: {missing}"


def test_the_error_table_names_only_real_codes() -> None:
    rows = re.findall(r"^\| `([^`]+)` \|", "\n".join(part(ERRORS_PART).body), re.M)
    unknown = sorted(set(rows) - {code.value for code in ErrorCode})
    assert not unknown, f"docs/protocol.md, '## {ERRORS_PART}': no such codes: {unknown}"
    assert len(rows) == len(set(rows)), f"docs/protocol.md, '## {ERRORS_PART}': duplicate rows"


@pytest.mark.parametrize("base", list(FAMILIES), ids=lambda base: PARTS[base])
def test_no_heading_names_a_message_that_does_not_exist(base: StructType) -> None:
    known = {tag_of(cls) for cls in FAMILIES[base]}
    named = {s.first_span for s in subsections(PARTS[base]) if s.first_span is not None}
    unknown = sorted(named - known)
    assert not unknown, f"docs/protocol.md, '## {PARTS[base]}': no such messages: {unknown}"


def test_no_shape_heading_names_a_shape_that_does_not_exist() -> None:
    named = {s.first_span for s in subsections(SHAPES_PART) if s.first_span is not None}
    unknown = sorted(named - {cls.__name__ for cls in SHAPES})
    assert not unknown, f"docs/protocol.md, '## {SHAPES_PART}': no such shapes: {unknown}"


def test_constants_table_matches_the_code() -> None:
    expected = {
        "PROTOCOL_VERSION": PROTOCOL_VERSION,
        "MAX_MESSAGE_BYTES": MAX_MESSAGE_BYTES,
        "MAX_TITLE": requests.MAX_TITLE,
        "MAX_TOPIC": requests.MAX_TOPIC,
        "MAX_URL": requests.MAX_URL,
        "MIN_PASSWORD": requests.MIN_PASSWORD,
        "MAX_PASSWORD": requests.MAX_PASSWORD,
        "MAX_STAGE_CAPACITY": requests.MAX_STAGE_CAPACITY,
        "MAX_USER_ID": requests.MAX_USER_ID,
        "MAX_REQUEST_ID": requests.MAX_REQUEST_ID,
        "MAX_NAME_FIELD": requests.MAX_NAME_FIELD,
        "MAX_PASSWORD_FIELD": requests.MAX_PASSWORD_FIELD,
        "MAX_TOKEN": requests.MAX_TOKEN,
        "MAX_ROOM_ID": requests.MAX_ROOM_ID,
        "MAX_INVITE_CODE": requests.MAX_INVITE_CODE,
        "MAX_CLIENT_NAME": requests.MAX_CLIENT_NAME,
        "MAX_SDP": requests.MAX_SDP,
        "MAX_PAGE": requests.MAX_PAGE,
        "MAX_CURSOR": requests.MAX_CURSOR,
        "MAX_INVITED_AHEAD": requests.MAX_INVITED_AHEAD,
        "MAX_SCHEDULE_ID": requests.MAX_SCHEDULE_ID,
        "MAX_EPOCH": requests.MAX_EPOCH,
        "MIN_TURN": requests.MIN_TURN,
        "MAX_TURN": requests.MAX_TURN,
    }
    rows = re.findall(r"^\| `([A-Z_]+)` \| (\d+) \|", "\n".join(part(CONSTANTS_PART).body), re.M)
    assert {name: int(value) for name, value in rows} == expected


def test_parser_sees_the_structure() -> None:
    # Guards the checks above against a parser that finds nothing.
    hello = section_for("Requests", "hello")
    assert hello is not None and "protocol" in hello.spans
    assert section_for("Requests", "join_room") is not hello
