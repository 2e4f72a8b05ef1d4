"""Another user's text is never markup (#18 point 5): hostile titles, topics,
links and names show literally in the directory, the room, the moderation
panel, tooltips, the window title and the tray, and cannot widen the window.

"What is shown" is computed the way Qt renders it: a label or tooltip that Qt
would treat as rich text is rendered through QTextDocument, and its visible
text must still hold the hostile string character for character."""

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication, QLabel, QListView, QListWidget, QWidget

from app.client.app_state import Phase
from app.client.session import RoomClient
from app.protocol.model import MemberView, Role
from app.protocol.requests import PinLink, SetTopic
from app.server.app import RunningServer
from app.ui.admin_panel import question_box
from app.ui.people_model import NAME as NAME_ROLE
from app.ui.people_panel import PeoplePanel
from app.ui.plain_text import FSI, PDI, PlainLabel, isolate
from app.ui.shell import DesktopShell
from app.ui.tray import Tray
from tests.client.desktop_support import until
from tests.ui.conftest import Run
from tests.ui.test_sign_in import PASSWORD, sign_in

TITLE = '<b>bold?</b> <img src="x.png"> Q&amp;A שלום'  # the protocol refuses bidi controls
TOPIC = 'Q&A … <b>bold?</b> <a href="https://evil.example/">click</a> &lt;' + "W" * 150
PIN = 'https://example.org/?q=<b>x</b>&amp;y="z"'
NAME = "<i>mallory</i> &amp; \u202eeve"


def shown(text: str, rich: bool) -> str:
    """The characters a reader sees for `text` rendered as rich text or not."""
    if not rich:
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


def label_shows(label: QLabel) -> str:
    fmt = label.textFormat()
    rich = fmt == Qt.TextFormat.RichText or (
        fmt == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(label.text())
    )
    return shown(label.text(), rich)


def tooltip_shows(tip: str) -> str:
    return shown(tip, GuiQt.mightBeRichText(tip))


def everything_shown(root: QWidget) -> list[str]:
    """The text of every label, tooltip and list row under `root`, as seen."""
    seen: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if isinstance(widget, QLabel):
            seen.append(label_shows(widget))
        if widget.toolTip():
            seen.append(tooltip_shows(widget.toolTip()))
        if isinstance(widget, QListWidget):
            for i in range(widget.count()):
                item = widget.item(i)
                seen.append(item.text())
                seen.append(tooltip_shows(item.toolTip()))
        elif isinstance(widget, QListView) and widget.model() is not None:
            model = widget.model()
            for row in range(model.rowCount()):
                index = model.index(row, 0)
                seen.append(str(index.data(Qt.ItemDataRole.DisplayRole)))
                seen.append(tooltip_shows(str(index.data(Qt.ItemDataRole.ToolTipRole))))
                if index.data(NAME_ROLE) is not None:  # the avatar's painted name: plain
                    seen.append(str(index.data(NAME_ROLE)))
    return seen


def test_hostile_room_text_shows_literally_everywhere(
    run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell]
) -> None:
    async def scenario() -> None:
        owner = RoomClient(server.url, client_name="test", reconnect=False)
        await owner.connect()
        await owner.register("owner", PASSWORD)
        try:
            await owner.create_room(TITLE, topic=TOPIC)
            await owner.request(PinLink(url=PIN))
            shell = shells(server.url)
            window, session = shell.window, shell.session
            window.resize(900, 700)
            sign_in(shell, "lili", PASSWORD, register=True)
            await until(lambda: window.directory.table.rowCount() == 1, what="room listed")
            table = window.directory.table
            title, topic = table.item(0, 0), table.item(0, 1)
            assert title is not None and topic is not None
            assert title.text() == TITLE and topic.text() == TOPIC
            assert tooltip_shows(title.toolTip()) == TITLE
            assert tooltip_shows(topic.toolTip()) == TOPIC

            table.selectRow(0)
            window.directory.join.click()
            await until(lambda: session.phase is Phase.IN_ROOM, what="joined")
            await until(lambda: window.room.pinned.isVisibleTo(window), what="pinned link")
            room = window.room
            assert label_shows(room.title) == TITLE
            assert label_shows(room.topic) == TOPIC
            assert label_shows(room.pinned) == f"📌 {PIN}"
            assert f'href="{html.escape(PIN, quote=True)}"' in room.pinned.text()
            assert tooltip_shows(room.title.toolTip()) == TITLE
            # The window title: the room's, with its override kept inside it.
            assert window.windowTitle() == f"{FSI}{TITLE}{PDI} — Panggung"
            seen = everything_shown(window)
            assert not [s for s in seen if "bold?" in s and "<b>bold?</b>" not in s], seen
            tray = Tray(shell.controller, window, lambda: None)
            try:
                assert TITLE in tooltip_shows(tray.icon.toolTip())
            finally:
                tray.icon.hide()

            # A long topic, set while in the room, neither wraps the window wider
            # nor shows as markup; the title is cut short, not the window widened.
            await owner.request(SetTopic(topic="<h1>" + "x" * 270 + "</h1>"))
            await until(lambda: room.topic.text().startswith("<h1>"), what="new topic")
            assert label_shows(room.topic).startswith("<h1>xxx")
            assert window.minimumSizeHint().width() <= 900
            assert window.width() <= 900
        finally:
            await owner.close()

    run(scenario())


def member(user_id: int, name: str, role: Role = Role.LISTENER, **kw: Any) -> MemberView:
    return MemberView(user_id=user_id, name=name, role=role, joined_at=0.0, **kw)


def test_hostile_names_show_literally_in_people_and_moderation(qapp: QApplication) -> None:
    panel = PeoplePanel("Stage")
    people = [member(1, NAME, Role.HOST), member(2, "<u>x</u>", hand_raised_at=1.0)]
    panel.show_members(people, me=2, speaking={1: 0.5})
    texts = panel.texts()
    assert texts[0].startswith(isolate(NAME)) and "Host" in texts[0]
    assert texts[1].startswith("<u>x</u> (you)")
    model = panel.people.model()
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        assert tooltip_shows(index.data(Qt.ItemDataRole.ToolTipRole)) == text
        assert index.data(Qt.ItemDataRole.AccessibleTextRole) == text
    # The avatar paints the raw name with QPainter.drawText (never markup).
    assert model.index(0, 0).data(NAME_ROLE) == NAME
    # The override ends with the name: " · Host" after it reads left to right.
    assert texts[0].index(PDI) == len(FSI + NAME)

    # A confirmation that names someone shows the name as text.
    parent = QWidget()
    box = question_box(parent, f"Ban {NAME}?")
    try:
        assert box.textFormat() == Qt.TextFormat.PlainText and box.text() == f"Ban {NAME}?"
    finally:
        parent.deleteLater()


def test_plain_label_never_renders_markup_and_elides(qapp: QApplication) -> None:
    label = PlainLabel("<b>x</b> " + "y" * 500, elide=True)
    assert label_shows(label) == "<b>x</b> " + "y" * 500
    assert label.minimumSizeHint().width() == 0  # cannot widen its window
    assert tooltip_shows(label.toolTip()) == label.text()
    wrapped = PlainLabel("<img src=x> &amp;")
    assert label_shows(wrapped) == "<img src=x> &amp;" and wrapped.wordWrap()


def test_directory_search_filters_rooms(
    run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell]
) -> None:
    async def scenario() -> None:
        owner = RoomClient(server.url, client_name="test", reconnect=False)
        await owner.connect()
        await owner.register("owner", PASSWORD)
        other = RoomClient(server.url, client_name="test", reconnect=False)
        await other.connect()
        await other.register("budi", PASSWORD)
        try:
            await owner.create_room("Town hall", topic="Roads and bridges")
            await other.create_room("Poetry night", topic="Verses")
            shell = shells(server.url)
            sign_in(shell, "lili", PASSWORD, register=True)
            table = shell.window.directory.table
            await until(lambda: table.rowCount() == 2, what="rooms listed")

            def shown() -> list[str]:
                rows = [r for r in range(table.rowCount()) if not table.isRowHidden(r)]
                return [table.item(r, 0).text() for r in rows]  # type: ignore[union-attr]

            shell.window.directory.search.setText("BRIDGES")
            assert shown() == ["Town hall"]
            shell.window.directory.search.setText("budi")  # the host's name
            assert shown() == ["Poetry night"]
            shell.window.directory.search.setText("")
            assert sorted(shown()) == ["Poetry night", "Town hall"]
        finally:
            await owner.close()
            await other.close()

    run(scenario())
