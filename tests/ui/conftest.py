"""Widget tests: offscreen Qt, a qasync loop, a real server on 127.0.0.1.

Tests are plain functions that run one async scenario on the qasync loop
(`run`), so that the server, the session and the widgets share the loop the
app uses. The platform must be chosen before Qt is imported.
"""

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import pytestqt.plugin
from PySide6.QtWidgets import QApplication

from app.client.app_settings import JsonSettingsStore
from app.client.audio_backend import PullAudio
from app.client.desktop_session import DesktopSession
from app.client.secrets import TokenStore
from app.server.app import RunningServer, ServerConfig, start_server
from app.ui.application import AppEventLoop
from app.ui.shell import DesktopShell
from tests.client import memory_keyring

T = TypeVar("T")
Run = Callable[[Coroutine[Any, Any, T]], T]


@pytest.fixture
def qloop(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> Iterator[asyncio.AbstractEventLoop]:
    loop = AppEventLoop(qapp)
    asyncio.set_event_loop(loop)

    def process_events_inside_the_loop() -> None:
        # pytest-qt flushes Qt events between a test and its teardown. Under
        # qasync those events include asyncio steps, which must run inside the
        # loop (as they always do in the app), or a task's next await finds
        # no running loop and dies.
        if not loop.is_closed() and not loop.is_running():
            loop.run_until_complete(asyncio.sleep(0))
        else:
            qapp.processEvents()

    monkeypatch.setattr(pytestqt.plugin, "_process_events", process_events_inside_the_loop)
    yield loop
    # Closing shuts down the loop's executor threads (DNS lookups run there).
    loop.close()
    asyncio.set_event_loop(None)


class _ReentryWatch(logging.Handler):
    """Notes a task stepped inside another task's step, from what the loop
    logs. Something that processes Qt events at once (QTest's QWindow key
    and mouse functions do) runs qasync's timers, and so other tasks' steps,
    in the middle of the running task; asyncio refuses them and their
    wake-ups are lost for good, so those tasks, and whatever later waits for
    them (a teardown's close), hang. (A logging handler, not the loop's
    exception handler: the server under test installs its own.)"""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.reentered: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        exception = record.exc_info[1] if record.exc_info else None
        if isinstance(exception, RuntimeError) and "Cannot enter into task" in str(exception):
            self.reentered.append(str(exception))


@pytest.fixture
def reentry() -> Iterator[_ReentryWatch]:
    watch = _ReentryWatch()
    logger = logging.getLogger("qasync")  # the loop's default exception handler logs there
    logger.addHandler(watch)
    yield watch
    logger.removeHandler(watch)


@pytest.fixture
def run(qloop: asyncio.AbstractEventLoop, reentry: _ReentryWatch) -> Run[Any]:
    def run_it(work: Coroutine[Any, Any, T], timeout: float = 90.0) -> T:
        result = qloop.run_until_complete(asyncio.wait_for(work, timeout))
        # Fail here, plainly, rather than hang in the teardown.
        assert not reentry.reentered, f"a task stepped inside another: {reentry.reentered[0]}"
        return result

    return run_it


@pytest.fixture
def server(run: Run[Any], tmp_path: Path) -> Iterator[RunningServer]:
    config = ServerConfig(db_url=f"sqlite:///{tmp_path / 'db.sqlite'}", host="127.0.0.1", port=0)
    running: RunningServer = run(start_server(config))
    yield running
    run(running.stop())


@pytest.fixture(autouse=True)
def keyring_backend() -> memory_keyring.MemoryKeyring:
    return memory_keyring.install()


@pytest.fixture
def shells(run: Run[Any], tmp_path: Path) -> Iterator[Callable[..., DesktopShell]]:
    """Desktop shells (session + window) for the test; closed after it."""
    made: list[DesktopShell] = []

    def make(url: str, audio: PullAudio | None = None, name: str = "app") -> DesktopShell:
        path = tmp_path / name / "settings.json"
        session = DesktopSession(
            url,
            TokenStore(),
            audio or PullAudio(),
            JsonSettingsStore(path).load(),
            store=JsonSettingsStore(path),
        )
        shell = DesktopShell(session, use_tray=False)
        made.append(shell)
        shell.show()
        return shell

    yield make
    for shell in made:
        run(shell.session.close())
        shell.close()
