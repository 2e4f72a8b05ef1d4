"""The stage as a stage (#18 point 3): the people model and the states it
shows, the talking ring's contrast in light, dark and high-contrast
palettes and what the delegate paints, the theme setting, and a room window
at its default size whose controls keep still while people talk and notices
come and go, with the whole moderation panel on screen."""

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QPoint, QRect
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyleOptionViewItem, QWidget

from app.client.app_settings import Settings
from app.client.app_state import Phase
from app.client.changes import SpeakingLevels
from app.client.session import RoomClient
from app.protocol.model import MemberView, Role
from app.protocol.requests import RaiseHand
from app.server.app import RunningServer
from app.ui import design, i18n
from app.ui.avatar_delegate import AvatarDelegate
from app.ui.people_model import BADGE, LEVEL, MARKS, NAME, USER_ID, PeopleModel
from app.ui.plain_text import isolate
from app.ui.settings_dialog import SettingsDialog
from app.ui.shell import DesktopShell
from tests.client.desktop_support import until
from tests.ui.conftest import Run
from tests.ui.test_room import create_room
from tests.ui.test_sign_in import PASSWORD, sign_in


def speaks(client: RoomClient, levels: dict[int, float]) -> None:
    """As the client does with the server's `speaking` message."""
    client.speaking = dict(levels)
    client.changes.publish(SpeakingLevels(dict(levels)))


def member(user_id: int, name: str, role: Role = Role.SPEAKER, **kw: Any) -> MemberView:
    return MemberView(user_id=user_id, name=name, role=role, joined_at=float(user_id), **kw)


STAGE = [
    member(1, "ayu", Role.HOST),
    member(2, "budi", Role.COHOST, self_muted=True),
    member(3, "citra"),
]


def test_model_shows_roles_marks_and_levels_and_repaints_only_talkers(
    qapp: QApplication,
) -> None:
    model = PeopleModel()
    model.set_members(STAGE, me=3, speaking={})
    rows = [model.index(r) for r in range(3)]
    assert [i.data(NAME) for i in rows] == ["ayu", "budi", "citra"]
    assert [i.data(USER_ID) for i in rows] == [1, 2, 3]
    assert [i.data(BADGE) for i in rows] == ["host", "cohost", ""]
    assert [i.data(MARKS) for i in rows] == [[], ["muted"], []]
    assert [i.data(LEVEL) for i in rows] == [0.0, 0.0, 0.0]
    assert model.texts() == ["ayu · Host", "budi · Co-host · muted", "citra (you)"]

    resets: list[bool] = []
    changed: list[int] = []
    model.modelReset.connect(lambda: resets.append(True))
    model.dataChanged.connect(lambda top, _bottom, _roles: changed.append(top.row()))
    # ayu starts talking: only her row changes; the model is not reset.
    model.set_levels({1: 0.8})
    assert changed == [0] and not resets
    assert rows[0].data(LEVEL) == 0.8
    assert model.texts()[0] == "ayu · Host · talking"
    # The same level again, or a change below what the ring shows: nothing repaints.
    changed.clear()
    model.set_levels({1: 0.81})
    model.set_levels({1: 0.81, 3: 0.001})
    assert changed == []
    # A hand and a muting on the same people: their rows change, no reset.
    model.set_members(
        [STAGE[0], member(2, "budi", Role.COHOST), member(3, "citra", mod_muted=True)],
        me=3,
        speaking={1: 0.8},
    )
    assert sorted(changed) == [1, 2] and not resets
    assert rows[1].data(MARKS) == [] and rows[2].data(MARKS) == ["muted"]
    assert "muted by a moderator" in model.texts()[2]
    # Someone leaves: a different list, a reset.
    model.set_members(STAGE[:2], me=3, speaking={})
    assert resets and model.rowCount() == 2


def palettes() -> dict[str, QPalette]:
    app_palette = QApplication.palette()
    return {
        "light": design.make_palette(design.LIGHT),
        "dark": design.make_palette(design.DARK),
        "high contrast (dark)": design.make_palette(design.HIGH_CONTRAST),
        "high contrast (light)": design.make_palette(
            {
                **design.HIGH_CONTRAST,
                QPalette.ColorRole.Window: "#ffffff",
                QPalette.ColorRole.Base: "#ffffff",
                QPalette.ColorRole.WindowText: "#000000",
                QPalette.ColorRole.Text: "#000000",
            }
        ),
        "the system's": app_palette,
    }


@pytest.mark.parametrize("which", list(palettes()))
def test_talking_ring_stands_out_in_every_palette(qapp: QApplication, which: str) -> None:
    palette = palettes()[which]
    ring = design.ring_colour(palette)
    for background in (QPalette.ColorRole.Base, QPalette.ColorRole.Window):
        ratio = design.contrast_ratio(ring, palette.color(background))
        assert ratio >= 3.0, f"{which}: ring {ring.name()} on {background}: {ratio:.2f}"


def test_contrast_ratio_is_wcag() -> None:
    assert design.contrast_ratio(QColor("black"), QColor("white")) == pytest.approx(21.0)
    assert design.contrast_ratio(QColor("#777777"), QColor("#777777")) == pytest.approx(1.0)
    # WCAG's own example: #767676 on white is just above 4.5:1.
    assert design.contrast_ratio(QColor("#767676"), QColor("white")) == pytest.approx(4.54, 0.01)


def paint_cell(level: float, palette: QPalette) -> tuple[QImage, AvatarDelegate, QRect]:
    model = PeopleModel()
    model.set_members([STAGE[0]], me=0, speaking={1: level})
    delegate = AvatarDelegate(design.STAGE_AVATAR, design.STAGE_CELL_WIDTH)
    option = QStyleOptionViewItem()
    option.palette = palette
    option.font = QApplication.font()
    option.state = QStyle.StateFlag.State_Enabled
    size = delegate.cell_size(option.font)
    cell = QRect(QPoint(0, 0), size)
    option.rect = cell
    image = QImage(size, QImage.Format.Format_ARGB32)
    image.fill(palette.color(QPalette.ColorRole.Base))
    painter = QPainter(image)
    delegate.paint(painter, option, model.index(0))
    painter.end()
    return image, delegate, QRect(cell)


@pytest.mark.parametrize("which", ["light", "dark", "high contrast (dark)"])
def test_delegate_paints_a_ring_that_grows_with_the_level(qapp: QApplication, which: str) -> None:
    palette = palettes()[which]
    ring = design.ring_colour(palette)

    def ring_pixels(image: QImage, circle_top: int, x: int) -> int:
        # Pixels of the ring's colour in the column above the avatar's top.
        return sum(
            1
            for y in range(max(0, circle_top - design.RING_GAP - design.RING_MAX - 2), circle_top)
            if QColor(image.pixel(x, y)).name() == ring.name()
        )

    silent, delegate, cell = paint_cell(0.0, palette)
    soft, _, _ = paint_cell(0.1, palette)
    loud, _, _ = paint_cell(1.0, palette)
    circle = delegate.avatar_rect(cell)
    top, x = int(circle.top()), int(circle.center().x())
    assert silent.size() == soft.size() == loud.size()  # the cell never changes size
    assert ring_pixels(silent, top, x) == 0
    assert 0 < ring_pixels(soft, top, x) < ring_pixels(loud, top, x)
    # The name is painted beneath the avatar, inside the cell.
    below = QRect(
        0, int(circle.bottom()) + 4, cell.width(), cell.height() - int(circle.bottom()) - 4
    )
    text = palette.color(QPalette.ColorRole.Text).name()
    assert any(
        QColor(loud.pixel(px, py)).name() == text
        for px in range(below.left(), below.right())
        for py in range(below.top(), below.bottom())
    )


def test_theme_is_a_setting_and_applies(qapp: QApplication) -> None:
    dialog = SettingsDialog(Settings(theme="dark"), None)
    try:
        assert dialog.theme.currentData() == "dark"
        dialog.theme.setCurrentIndex(dialog.theme.findData("light"))
        assert dialog.chosen().theme == "light"
    finally:
        dialog.deleteLater()
    assert Settings.from_dict({"theme": "purple"}).theme == "system"
    window = QPalette.ColorRole.Window
    before = QApplication.palette().color(window)
    try:
        assert design.apply_theme(qapp, "dark") == "dark"
        assert QApplication.palette().color(window) == QColor(design.DARK[window])
        assert design.apply_theme(qapp, "light") == "light"
        assert QApplication.palette().color(window) == QColor(design.LIGHT[window])
    finally:
        assert design.apply_theme(qapp, "system") == "system"
    assert QApplication.palette().color(window) == before


def geometry(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


@pytest.fixture(params=["en", "id"])
def language(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    assert i18n.install_translator(qapp, request.param) == request.param
    try:
        yield request.param
    finally:
        assert i18n.install_translator(qapp, "en") == "en"


def test_room_keeps_still_and_moderation_fits_the_default_window(
    language: str, run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell]
) -> None:
    async def scenario() -> None:
        host = shells(server.url, name="host")
        window, session = host.window, host.session
        assert (window.width(), window.height()) == (900, 700)  # the default size
        sign_in(host, "hostess", PASSWORD, register=True)
        await until(lambda: session.phase is Phase.DIRECTORY, what="signed in")
        await create_room(host, "Town hall", "Roads")
        room = window.room
        guest = RoomClient(server.url, client_name="test", reconnect=False)
        await guest.connect()
        await guest.register("guest", PASSWORD)
        try:
            model = session.model
            assert model is not None
            await guest.join(model.room_id)
            await guest.request(RaiseHand())
            await until(lambda: room.admin.queue.count() == 1, what="hand in the queue")
            assert window.windowTitle() == f"{isolate('Town hall')} — Panggung"
            counts = {
                "en": "1 on stage · 1 listening · ✋ 1",
                "id": "1 di panggung · 1 mendengarkan · ✋ 1",
            }[language]  # the summary comes once a second
            await until(lambda: room.counts.text() == counts, what=counts)

            controls: list[QWidget] = [
                room.ptt,
                room.mute,
                room.latch,
                room.leave_stage,
                room.leave,
                room.stage.people,
                room.audience.everyone,
                *room.reaction_buttons.values(),
                room.admin,
                room.admin.approve,
                room.admin.deny,
                room.admin.person,
                *room.admin.person_buttons.values(),
                room.admin.mute_all,
                room.admin.locked,
                room.admin.hands,
                room.admin.topic,
                room.admin.pin,
                room.admin.bans_button,
                room.admin.record,
                room.admin.end,
            ]
            shown = [c for c in controls if c.isVisibleTo(window)]
            assert room.admin.end in shown and room.admin.approve in shown
            # The moderation panel fits: the window keeps its default size (no
            # control forces it wider or taller), every control on it, at full height.
            assert (window.width(), window.height()) == (900, 700)
            hint = window.minimumSizeHint()
            assert hint.width() <= 900 and hint.height() <= 700, hint
            screen = window.rect()
            for control in shown:
                where = geometry(control, window)
                assert screen.contains(where), f"{control.accessibleName()} off screen: {where}"
                assert control.height() >= control.minimumSizeHint().height(), control
            before = [geometry(c, window) for c in shown]

            # The host talks (the level the server reports), then a notice shows.
            assert session.client is not None
            speaks(session.client, {session.user_id: 0.9})
            await until(lambda: room.stage.model.index(0).data(LEVEL) > 0, what="talking ring")
            index = room.stage.model.index(0)
            assert index.data(LEVEL) == 0.9
            window.show_message("guest raised a hand.")
            await asyncio.sleep(0.2)  # laid out (no processEvents inside the loop's step)
            assert [geometry(c, window) for c in shown] == before
            speaks(session.client, {})
            await until(lambda: room.stage.model.index(0).data(LEVEL) == 0, what="ring off")
            assert [geometry(c, window) for c in shown] == before
        finally:
            await guest.close()

    run(scenario())


def test_stage_view_is_an_icon_grid(qapp: QApplication) -> None:
    from app.ui.people_panel import PeoplePanel

    panel = PeoplePanel("Stage")
    panel.show_members(STAGE, me=1, speaking={})
    view = panel.people
    assert view.viewMode() == view.ViewMode.IconMode
    assert isinstance(view.itemDelegate(), AvatarDelegate)
    assert view.gridSize().width() == design.STAGE_CELL_WIDTH + design.CELL_SPACING
    assert panel.title() == "Stage (3)"
    assert view.model().data(QModelIndex()) is None
    panel.deleteLater()
