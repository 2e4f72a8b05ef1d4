"""Every control is reachable by Tab in reading order, and no two controls
shown together claim the same Alt+letter (#18 point 6), in English and in
Indonesian: sign-in, the directory, the room as host and as listener, and the
dialogs."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from app.client.app_settings import Settings
from app.client.app_state import Phase
from app.client.session import RoomClient
from app.server.app import RunningServer
from app.ui import i18n
from app.ui.ban_list_dialog import BanListDialog
from app.ui.create_room_dialog import CreateRoomDialog
from app.ui.first_run import FirstRunDialog
from app.ui.settings_dialog import SettingsDialog
from app.ui.shell import DesktopShell
from tests.client.desktop_support import until
from tests.ui.conftest import Run
from tests.ui.keyboard import (
    mnemonic_clashes,
    names,
    out_of_reading_order,
    reachable,
    tab_chain,
)
from tests.ui.test_room import create_room
from tests.ui.test_sign_in import PASSWORD, sign_in


@pytest.fixture(params=["en", "id"])
def language(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    assert i18n.install_translator(qapp, request.param) == request.param
    try:
        yield request.param
    finally:
        assert i18n.install_translator(qapp, "en") == "en"


async def check_keyboard(window: QWidget, start: QWidget, what: str) -> list[QWidget]:
    window.activateWindow()
    await until(lambda: window.isActiveWindow(), what=f"{what} active")
    chain = tab_chain(window, start)
    missed = [w for w in reachable(window) if w not in chain]
    assert not missed, f"{what}: Tab never reaches {names(missed)}; it goes {names(chain)}"
    assert not out_of_reading_order(window, chain), (
        f"{what}: Tab jumps back: {out_of_reading_order(window, chain)} in {names(chain)}"
    )
    assert not mnemonic_clashes(window), f"{what}: mnemonics clash: {mnemonic_clashes(window)}"
    return chain


def test_sign_in_directory_and_dialogs_walk_by_keyboard(
    language: str,
    run: Run[Any],
    server: RunningServer,
    shells: Callable[..., DesktopShell],
) -> None:
    async def scenario() -> None:
        shell = shells(server.url)
        window, session = shell.window, shell.session
        window.resize(900, 700)
        await check_keyboard(window, window.sign_in.username, "sign-in")
        owner = RoomClient(server.url, client_name="test", reconnect=False)
        await owner.connect()
        await owner.register("owner", PASSWORD)
        try:
            await owner.create_room("Open mic", topic="Anything goes")
            sign_in(shell, "lili", PASSWORD, register=True)
            await until(lambda: session.phase is Phase.DIRECTORY, what="signed in")
            directory = window.directory
            await until(lambda: directory.table.rowCount() == 1, what="room listed")
            chain = await check_keyboard(window, directory.sign_out, "directory")
            assert chain.index(directory.table) < chain.index(directory.join)
        finally:
            await owner.close()
        dialogs: list[tuple[QDialog, str]] = [
            (CreateRoomDialog(window), "create-room dialog"),
            (SettingsDialog(Settings(), None, window), "settings dialog"),
            (FirstRunDialog(window), "first-run dialog"),
            (window.open_recordings(), "recordings dialog"),
            (BanListDialog(shell.controller, window), "ban list dialog"),
        ]
        for dialog, what in dialogs:
            try:
                dialog.show()
                await check_keyboard(dialog, reachable(dialog)[0], what)
            finally:
                dialog.reject()

    run(scenario())


def test_room_walks_by_keyboard_as_host(
    language: str,
    run: Run[Any],
    server: RunningServer,
    shells: Callable[..., DesktopShell],
) -> None:
    async def scenario() -> None:
        host = shells(server.url, name="host")
        window = host.window
        window.resize(900, 700)
        sign_in(host, "hostess", PASSWORD, register=True)
        await until(lambda: host.session.phase is Phase.DIRECTORY, what="signed in")
        await create_room(host, "Town hall", "Roads")
        room = window.room
        await until(lambda: room.admin_area.isVisibleTo(window), what="moderation")
        chain = await check_keyboard(window, room.invite, "room as host")
        admin = room.admin
        assert chain.index(room.leave) < chain.index(admin.approve) < chain.index(admin.mute_all)

    run(scenario())


def test_room_walks_by_keyboard_as_listener(
    language: str,
    run: Run[Any],
    server: RunningServer,
    shells: Callable[..., DesktopShell],
) -> None:
    async def scenario() -> None:
        owner = RoomClient(server.url, client_name="test", reconnect=False)
        await owner.connect()
        await owner.register("owner", PASSWORD)
        try:
            await owner.create_room("Open mic", topic="Anything goes")
            listener = shells(server.url, name="listener")
            window = listener.window
            window.resize(900, 700)
            sign_in(listener, "lili", PASSWORD, register=True)
            await until(lambda: window.directory.table.rowCount() == 1, what="room listed")
            window.directory.table.selectRow(0)
            window.directory.join.click()
            room = window.room
            await until(lambda: room.hand.isVisibleTo(window), what="listener controls")
            chain = await check_keyboard(window, room.stage.people, "room as listener")
            assert chain.index(room.reaction_buttons["wave"]) < chain.index(room.hand)
        finally:
            await owner.close()

    run(scenario())
