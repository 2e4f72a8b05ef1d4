"""The stage and audience panels: who is there, and what they are doing.

Each person is one list item: an avatar with initials (ringed while they
talk), the name and marks — host/co-host badge, muted, raised hand (with its
place in the queue for moderators), invited — in the item text, so that a
screen reader reads the same as the eye sees.
"""

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QSize, Qt
from PySide6.QtWidgets import QGroupBox, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.protocol.model import MemberView, Role
from app.ui.icons import avatar
from app.ui.plain_text import isolate, tooltip

BADGES = {
    Role.HOST: str(QT_TRANSLATE_NOOP("PeoplePanel", "Host")),
    Role.COHOST: str(QT_TRANSLATE_NOOP("PeoplePanel", "Co-host")),
}
TALKING_LEVEL = 0.01
translate = QCoreApplication.translate


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
    return " · ".join(parts)


class PeoplePanel(QGroupBox):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = title
        self.people = QListWidget()
        self.people.setAccessibleName(title)
        self.people.setIconSize(QSize(32, 32))
        layout = QVBoxLayout(self)
        layout.addWidget(self.people)
        self.setTitle(title)

    def show_members(
        self,
        members: list[MemberView],
        me: int,
        speaking: dict[int, float],
        queue: list[MemberView] | None = None,
        count: int | None = None,
    ) -> None:
        """`queue`: the hand queue, shown as places (moderators only); `count`:
        how many the title says, when the list shows only some (the audience)."""
        places = {m.user_id: i + 1 for i, m in enumerate(queue or [])}
        self.setTitle(f"{self._title} ({len(members) if count is None else count})")
        selected = self.selected_user_id()
        self.people.clear()
        for member in members:
            talking = speaking.get(member.user_id, 0.0) >= TALKING_LEVEL
            text = describe(member, me, talking, places.get(member.user_id))
            item = QListWidgetItem(avatar(member.name, self.palette(), talking), text)
            item.setData(Qt.ItemDataRole.UserRole, member.user_id)
            item.setToolTip(tooltip(text))
            self.people.addItem(item)
            if member.user_id == selected:
                item.setSelected(True)

    def selected_user_id(self) -> int | None:
        items = self.people.selectedItems()
        return int(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def texts(self) -> list[str]:
        return [self.people.item(i).text() for i in range(self.people.count())]
