"""The moderators' audience grid stays a model/view that asks the real
server for the next page only when the grid is scrolled to its end."""

import asyncio
from collections.abc import Callable
from typing import Any

from app.client.app_state import Phase
from app.client.session import RoomClient
from app.server.app import RunningServer
from app.ui.avatar_delegate import AvatarDelegate
from app.ui.people_model import NAME
from app.ui.shell import DesktopShell
from tests.client.desktop_support import until
from tests.ui.conftest import Run
from tests.ui.test_room import create_room
from tests.ui.test_sign_in import PASSWORD, sign_in

LISTENERS = 7
PAGE = 3


def test_audience_grid_fetches_pages_as_it_scrolls(
    run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell]
) -> None:
    async def scenario() -> None:
        host = shells(server.url, name="host")
        window, session = host.window, host.session
        audience = window.room.audience
        audience.model.page_size = PAGE
        sign_in(host, "hostess", PASSWORD, register=True)
        await until(lambda: session.phase is Phase.DIRECTORY, what="signed in")
        await create_room(host, "Town hall", "Roads")
        model = session.model
        assert model is not None
        guests: list[RoomClient] = []
        try:
            for i in range(LISTENERS):
                guest = RoomClient(server.url, client_name="test", reconnect=False)
                guests.append(guest)
                await guest.connect()
                await guest.register(f"guest{i}", PASSWORD)
                await guest.join(model.room_id)
            grid, rows = audience.everyone, audience.model
            assert isinstance(grid.itemDelegate(), AvatarDelegate)
            assert grid.viewMode() == grid.ViewMode.IconMode
            await until(lambda: model.audience.listeners == LISTENERS, what="all counted")
            # One avatar shows at a time: the rest of a page is below, to scroll to.
            cell = grid.gridSize()
            width = cell.width() + grid.verticalScrollBar().sizeHint().width() + 8
            grid.setFixedSize(width, cell.height() + 8)
            # From the first page again, everyone in (as typing in the search box does).
            rows.search("")
            await until(lambda: rows.pages == 1 and not rows.loading, what="first page")
            assert rows.rowCount() == PAGE and rows.matched == LISTENERS
            await asyncio.sleep(0.5)
            assert rows.pages == 1  # nothing more is fetched while nobody scrolls
            first = rows.pages
            names = [rows.index(r).data(NAME) for r in range(rows.rowCount())]
            assert names[:PAGE] == ["guest0", "guest1", "guest2"]
            assert rows.rowCount() < LISTENERS  # not everyone fetched up front
            bar = grid.verticalScrollBar()
            while rows.rowCount() < LISTENERS:
                before = rows.rowCount()
                await until(lambda: bar.maximum() > 0, what="something to scroll")
                bar.setValue(bar.maximum())

                def grew(before: int = before) -> bool:
                    return rows.rowCount() > before

                await until(grew, what="next page")
            assert rows.pages > first and rows.next is None
            assert [rows.index(r).data(NAME) for r in range(LISTENERS)] == [
                f"guest{i}" for i in range(LISTENERS)
            ]
        finally:
            for guest in guests:
                await guest.close()

    run(scenario())
