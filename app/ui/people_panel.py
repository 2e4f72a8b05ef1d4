"""The stage and audience panels: who is there, and what they are doing.

A grid of round avatars (`PeopleModel` painted by `AvatarDelegate`): the
name and role badge beneath, marks for muted, raised hand, invited and
reconnecting, and a ring that follows the speaker's level. Each item's text
is the whole description (name, badge, marks, hand place), so that a screen
reader reads what the eye sees.
"""

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QAbstractItemView, QGroupBox, QListView, QVBoxLayout, QWidget

from app.protocol.model import MemberView
from app.ui import design
from app.ui.avatar_delegate import AvatarDelegate
from app.ui.people_model import BADGES, TALKING_LEVEL, USER_ID, PeopleModel, describe

__all__ = ["BADGES", "TALKING_LEVEL", "PeoplePanel", "avatar_grid", "describe"]


def avatar_grid(
    avatar: int, cell_width: int, name: str, parent: QWidget | None = None
) -> QListView:
    """A list view laid out as a grid of fixed-size avatar cells."""
    view = QListView(parent)
    view.setAccessibleName(name)
    delegate = AvatarDelegate(avatar, cell_width, view)
    view.setItemDelegate(delegate)
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setFlow(QListView.Flow.LeftToRight)
    view.setWrapping(True)
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setMovement(QListView.Movement.Static)
    view.setUniformItemSizes(True)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    cell = delegate.cell_size(view.font())
    view.setGridSize(QSize(cell.width() + design.CELL_SPACING, cell.height() + design.CELL_SPACING))
    view.setMinimumHeight(cell.height() + 2 * design.CELL_SPACING)
    return view


class PeoplePanel(QGroupBox):
    def __init__(
        self,
        title: str,
        avatar: int = design.STAGE_AVATAR,
        cell_width: int = design.STAGE_CELL_WIDTH,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._title = title
        self.model = PeopleModel(self)
        self.people = avatar_grid(avatar, cell_width, title)
        self.people.setModel(self.model)
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
        self.model.set_members(members, me, speaking, places)
        if selected is not None and (row := self.model.row_of(selected)) is not None:
            self.people.setCurrentIndex(self.model.index(row))

    def show_levels(self, speaking: dict[int, float]) -> None:
        self.model.set_levels(speaking)

    def selected_user_id(self) -> int | None:
        rows = self.people.selectionModel().selectedIndexes()
        return int(rows[0].data(USER_ID)) if rows else None

    def texts(self) -> list[str]:
        return self.model.texts()
