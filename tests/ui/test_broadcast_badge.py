"""The room window says when it plays the broadcast: a listener past the
server's live capacity sees "Broadcast — a few seconds behind" in the header,
and the badge goes once the stage's invitation brings a live link."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.client.app_state import Phase
from app.protocol.requests import InviteToStage
from app.server.app import RunningServer, ServerConfig, start_server
from app.ui.shell import DesktopShell
from tests.client.desktop_support import until
from tests.ui.conftest import Run
from tests.ui.test_room import create_room
from tests.ui.test_sign_in import PASSWORD, sign_in


@pytest.fixture
def server(run: Run[Any], tmp_path: Path) -> Iterator[RunningServer]:
    config = ServerConfig(
        db_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        host="127.0.0.1",
        port=0,
        hls_dir=tmp_path / "hls",
        webrtc_capacity=1,  # the host's link: listeners get the broadcast
    )
    running: RunningServer = run(start_server(config))
    yield running
    run(running.stop())


def test_the_broadcast_badge_shows_the_tier(
    run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell]
) -> None:
    async def scenario() -> None:
        host, guest = shells(server.url, name="host"), shells(server.url, name="guest")
        sign_in(host, "dalang", PASSWORD, register=True)
        await until(lambda: host.session.phase is Phase.DIRECTORY, what="host signed in")
        await create_room(host, "Wayang night", "Stories")
        model = host.session.model
        assert model is not None
        await until(lambda: host.session.room_audio is not None, what="host audio")
        sign_in(guest, "penonton", PASSWORD, register=True)
        await until(lambda: guest.session.phase is Phase.DIRECTORY, what="guest signed in")
        assert await guest.session.join(model.room_id)

        badge = guest.window.room.badges["broadcast"]
        await until(lambda: badge.isVisibleTo(guest.window), what="the broadcast badge")
        assert badge.text() == "Broadcast — a few seconds behind"
        assert not host.window.room.badges["broadcast"].isVisibleTo(host.window)

        assert await host.session.act(InviteToStage(user_id=guest.session.user_id))
        await until(lambda: not guest.session.broadcast, what="the live link")
        await until(lambda: not badge.isVisibleTo(guest.window), what="the badge gone")

    run(scenario())
