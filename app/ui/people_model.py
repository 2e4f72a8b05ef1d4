"""People as a Qt model: the stage's and the audience's avatars.

Each row is one member; the display text is the whole description (name,
badge, marks) that screen readers read, and the other roles are what the
avatar delegate paints. Levels change several times a second while people
talk: `set_levels` signals only the rows whose talking level changed, and
never resets the model, so the view neither re-lays out nor loses the
selection.
"""

from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractListModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from app.protocol.model import MemberView, Role
from app.ui.plain_text import isolate, tooltip

Index = QModelIndex | QPersistentModelIndex
translate = QCoreApplication.translate

BADGES = {
    Role.HOST: str(QT_TRANSLATE_NOOP("PeoplePanel", "Host")),
    Role.COHOST: str(QT_TRANSLATE_NOOP("PeoplePanel", "Co-host")),
}
# A level from the server at or above this shows the talking ring.
TALKING_LEVEL = 0.01

USER_ID = Qt.ItemDataRole.UserRole
NAME = Qt.ItemDataRole.UserRole + 1  # the raw name (painted as plain text)
BADGE = Qt.ItemDataRole.UserRole + 2  # "host", "cohost" or ""
BADGE_TEXT = Qt.ItemDataRole.UserRole + 3  # translated
LEVEL = Qt.ItemDataRole.UserRole + 4  # 0.0-1.0; 0 when not talking
MARKS = Qt.ItemDataRole.UserRole + 5  # list of "muted", "hand", "invited", "away", "voice"
ME = Qt.ItemDataRole.UserRole + 6


def describe(member: MemberView, me: int, talking: bool, queue_place: int | None) -> str:
    parts = [
        isolate(member.name) + (translate("PeoplePanel", " (you)") if member.user_id == me else "")
    ]
    if member.role in BADGES:
        parts.append(translate("PeoplePanel", BADGES[member.role]))
    if talking:
        parts.append(translate("PeoplePanel", "talking"))
    if member.mod_muted:
        parts.append(translate("PeoplePanel", "muted by a moderator"))
    elif member.self_muted:
        parts.append(translate("PeoplePanel", "muted"))
    if member.hand_raised_at is not None:
        parts.append(
            translate("PeoplePanel", "✋ hand raised #{place}").format(place=queue_place)
            if queue_place
            else translate("PeoplePanel", "✋ hand raised")
        )
    if member.invited:
        parts.append(translate("PeoplePanel", "invited to the stage"))
    if not member.connected:
        parts.append(translate("PeoplePanel", "reconnecting"))
    if member.voice_activity:
        parts.append(translate("PeoplePanel", "talks by voice activity"))
    return " · ".join(parts)


def shown_level(level: float) -> float:
    """What the ring shows: nothing below the talking threshold, else the
    level in steps of 0.05 (finer steps would repaint for no visible change)."""
    return max(0.05, round(min(1.0, level) * 20) / 20) if level >= TALKING_LEVEL else 0.0


def marks(member: MemberView) -> list[str]:
    found = []
    if member.mod_muted or member.self_muted:
        found.append("muted")
    if member.hand_raised_at is not None:
        found.append("hand")
    if member.invited:
        found.append("invited")
    if not member.connected:
        found.append("away")
    if member.voice_activity:
        found.append("voice")  # their app talks when it hears speech: others should know
    return found


def member_data(member: MemberView, role: int, text: str, level: float, me: int) -> Any:
    """One role of one member's row (shared by the stage's and the audience's models)."""
    if role == Qt.ItemDataRole.DisplayRole or role == Qt.ItemDataRole.AccessibleTextRole:
        return text
    if role == Qt.ItemDataRole.ToolTipRole:
        return tooltip(text)
    if role == USER_ID:
        return member.user_id
    if role == NAME:
        return member.name
    if role == BADGE:
        return member.role.value if member.role in BADGES else ""
    if role == BADGE_TEXT:
        return translate("PeoplePanel", BADGES[member.role]) if member.role in BADGES else ""
    if role == LEVEL:
        return shown_level(level)
    if role == MARKS:
        return marks(member)
    if role == ME:
        return member.user_id == me
    return None


class PeopleModel(QAbstractListModel):
    """The members one panel shows, in the room's order, with their levels."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.members: list[MemberView] = []
        self.me = 0
        self.places: dict[int, int] = {}
        self.levels: dict[int, float] = {}

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.members)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.members):
            return None
        member = self.members[index.row()]
        level = self.level_of(member.user_id)
        text = ""
        if role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.AccessibleTextRole,
        ):
            text = self.text_of(member)
        return member_data(member, role, text, level, self.me)

    def level_of(self, user_id: int) -> float:
        return shown_level(self.levels.get(user_id, 0.0))

    def text_of(self, member: MemberView) -> str:
        talking = self.level_of(member.user_id) > 0
        return describe(member, self.me, talking, self.places.get(member.user_id))

    def set_members(
        self,
        members: list[MemberView],
        me: int,
        speaking: dict[int, float],
        places: dict[int, int] | None = None,
    ) -> None:
        places = places or {}
        same_people = [m.user_id for m in members] == [m.user_id for m in self.members]
        if not same_people:
            self.beginResetModel()
            self.members, self.me, self.places = list(members), me, places
            self.levels = dict(speaking)
            self.endResetModel()
            return
        changed = [
            row
            for row, (old, new) in enumerate(zip(self.members, members, strict=True))
            if old != new or self.places.get(new.user_id) != places.get(new.user_id)
        ]
        self.members, self.me, self.places = list(members), me, places
        for row in changed:
            self.dataChanged.emit(self.index(row), self.index(row))
        self.set_levels(speaking)

    def set_levels(self, speaking: dict[int, float]) -> list[int]:
        """New talking levels; returns the rows that changed (only those repaint)."""
        changed = [
            row
            for row, m in enumerate(self.members)
            if shown_level(self.levels.get(m.user_id, 0.0))
            != shown_level(speaking.get(m.user_id, 0.0))
        ]
        self.levels = dict(speaking)
        for row in changed:
            self.dataChanged.emit(self.index(row), self.index(row))
        return changed

    def texts(self) -> list[str]:
        return [self.text_of(m) for m in self.members]

    def row_of(self, user_id: int) -> int | None:
        for row, member in enumerate(self.members):
            if member.user_id == user_id:
                return row
        return None
