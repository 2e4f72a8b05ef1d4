"""The audience: how many listen and how many hands are up, the listeners the
room shows one by one (raised hands, invitations, you), and for moderators
everyone else, page by page.

The moderators' list is a Qt model/view: `AudienceListModel` holds only the
pages fetched so far and asks for the next one when the view scrolls to its
end (`canFetchMore`/`fetchMore`), so that an audience of 15,000 costs what
the screen shows. A search box asks the server for names with a prefix.
Counts arrive at most once a second; when they change and only the first
page is loaded, it is fetched again, so a small room's list stays current.
"""

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from app.protocol.model import STAGE_ROLES, MemberView
from app.protocol.replies import AudiencePage
from app.ui import design
from app.ui.people_model import member_data
from app.ui.people_panel import PeoplePanel, avatar_grid, describe

translate = QCoreApplication.translate
PAGE = 100
Fetch = Callable[[str | None, str, int], Awaitable[AudiencePage | None]]
Runner = Callable[[Coroutine[Any, Any, Any]], object]
Index = QModelIndex | QPersistentModelIndex
TEXT_ROLES = (
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.AccessibleTextRole,
)


class AudienceListModel(QAbstractListModel):
    """Listeners in name order, fetched from the server a page at a time."""

    def __init__(
        self,
        fetch: Fetch,
        run: Runner,
        fresh: Callable[[int], MemberView | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._run = run
        # The room's own, event-fed view of a member, newer than a page's.
        self._fresh = fresh
        # How a row reads (the panel adds hand-queue places).
        self.text_of: Callable[[MemberView], str] = lambda m: describe(m, 0, False, None)
        self.rows: list[MemberView] = []
        self.next: str | None = None
        self.matched = 0
        self.prefix = ""
        self.loading = False
        self.pages = 0
        self.page_size = PAGE
        self._generation = 0

    # -- Qt's model interface ------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        member = self.member_at(index.row())
        text = self.text_of(member) if role in TEXT_ROLES else ""
        return member_data(member, role, text, 0.0, 0)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self.loading and self.next is not None

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._load(self.next)

    # -- ours ------------------------------------------------------------------------

    def member_at(self, row: int) -> MemberView:
        listed = self.rows[row]
        return self._fresh(listed.user_id) or listed

    def search(self, prefix: str) -> None:
        """Start again from the first page, with names starting with `prefix`."""
        self._generation += 1
        self.beginResetModel()
        self.rows, self.next, self.matched, self.pages = [], None, 0, 0
        self.prefix = prefix
        self.loading = False
        self.endResetModel()
        self._load(None)

    def refresh_if_small(self) -> None:
        """Fetch the first page again, unless the user has paged further down."""
        if self.pages <= 1 and not self.loading:
            self.search(self.prefix)

    def _load(self, after: str | None) -> None:
        self.loading = True
        self._run(self._load_page(after, self._generation))

    async def _load_page(self, after: str | None, generation: int) -> None:
        try:
            page = await self._fetch(after, self.prefix, self.page_size)
        finally:
            if generation == self._generation:
                self.loading = False
        if page is None or generation != self._generation:
            return  # refused (the notice says why), or a newer search replaced it
        if page.members:
            first = len(self.rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page.members) - 1)
            self.rows.extend(page.members)
            self.endInsertRows()
        self.next, self.matched = page.next, page.matched
        self.pages += 1


class AudiencePanel(QWidget):
    """The audience box of the room view."""

    selected = Signal(int, str)  # user id, name: a moderator picked someone

    def __init__(
        self,
        title: str,
        fetch: Fetch,
        run: Runner,
        fresh: Callable[[int], MemberView | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.shown = PeoplePanel(title, design.AUDIENCE_AVATAR, design.AUDIENCE_CELL_WIDTH)
        self.counts = QLabel()
        self.counts.setAccessibleName(translate("AudiencePanel", "Audience counts"))
        self.search = QLineEdit()
        self.search.setAccessibleName(translate("AudiencePanel", "Search the audience"))
        self.search.setPlaceholderText(translate("AudiencePanel", "Find a listener by name…"))
        self.model = AudienceListModel(fetch, run, fresh, self)
        # A grid of small avatars, of uniform size: no per-row measuring at 15,000.
        self.everyone = avatar_grid(
            design.AUDIENCE_AVATAR,
            design.AUDIENCE_CELL_WIDTH,
            translate("AudiencePanel", "Everyone listening"),
        )
        self.everyone.setModel(self.model)
        box = self.shown.layout()
        assert box is not None
        box.addWidget(self.counts)
        box.addWidget(self.search)
        box.addWidget(self.everyone)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.shown)
        self._moderator = False
        self._listeners = -1
        self._places: dict[int, int] = {}
        self.model.text_of = lambda m: describe(m, 0, False, self._places.get(m.user_id))
        self.search.textChanged.connect(lambda text: self.model.search(text.strip()))
        self.everyone.clicked.connect(self._picked)
        self.set_moderator(False)

    def title(self) -> str:
        return self.shown.title()

    def set_moderator(self, moderator: bool) -> None:
        if moderator and not self._moderator:
            self.model.search(self.search.text().strip())
        self._moderator = moderator
        self.search.setVisible(moderator)
        # The header's counts line says the same; the moderators' grid needs the room.
        self.counts.setVisible(not moderator)
        self.everyone.setVisible(moderator)
        # Moderators see the hands in their panel's queue and everyone here.
        self.shown.people.setVisible(not moderator)

    def show_room(
        self,
        listeners: int,
        hands: int,
        shown: list[MemberView],
        me: int,
        speaking: dict[int, float],
        queue: list[MemberView] | None,
    ) -> None:
        """`shown`: the listeners known one by one; `queue`: hand places (moderators)."""
        self._places = {m.user_id: i + 1 for i, m in enumerate(queue or [])}
        self.shown.show_members(shown, me, speaking, queue, count=listeners)
        self.counts.setText(
            translate("AudiencePanel", "{listeners} listening · ✋ {hands}").format(
                listeners=listeners, hands=hands
            )
        )
        if listeners != self._listeners:
            self._listeners = listeners
            if self._moderator:
                self.model.refresh_if_small()
        elif self._moderator and self.model.rowCount() > 0:
            # Hands and invitations show through the fresh views at once.
            self.model.dataChanged.emit(
                self.model.index(0), self.model.index(self.model.rowCount() - 1)
            )

    def texts(self) -> list[str]:
        """What the audience box lists: everyone for moderators, else the shown."""
        if not self._moderator:
            return self.shown.texts()
        rows = (self.model.member_at(i) for i in range(self.model.rowCount()))
        return [self.model.text_of(m) for m in rows if m.role not in STAGE_ROLES]

    def _picked(self, index: QModelIndex) -> None:
        member = self.model.member_at(index.row())
        self.selected.emit(member.user_id, member.name)
