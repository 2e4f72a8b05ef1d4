"""Run by test_tray.py under Xvfb with a tray host: the real app start
(`app.desktop_main.run_app`) with "Start minimised to the tray" off shows the
window; with it on, the window stays hidden while the tray icon is visible,
and the tray brings the window up. Exits 0 when all held.

    python -m tests.ui.start_minimised_scenario WORKDIR
"""

import asyncio
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from app.client.app_settings import JsonSettingsStore, Settings
from app.client.control import socket_path
from app.desktop_main import parse_args, run_app
from app.server.app import ServerConfig, start_server
from app.ui.application import run_qt
from app.ui.main_window import MainWindow
from app.ui.tray import Tray
from tests.client import memory_keyring
from tests.client.desktop_support import until

SETTLE_S = 1.0  # after the app is up: time for a window to be shown, were it to be


def _new_window(app: QApplication, seen: set[int]) -> MainWindow | None:
    for widget in app.topLevelWidgets():
        if isinstance(widget, MainWindow) and id(widget) not in seen:
            return widget
    return None


async def start_app(
    app: QApplication, workdir: Path, url: str, minimised: bool, seen: set[int]
) -> tuple["asyncio.Task[int]", MainWindow, Tray]:
    config = workdir / ("minimised" if minimised else "shown")
    config.mkdir()
    JsonSettingsStore(config / "settings.json").save(Settings(start_minimised=minimised))
    args = parse_args(["--server", url, "--config", str(config), "--no-sound"])
    task = asyncio.ensure_future(run_app(app, args, config, config / "data"))
    await until(lambda: socket_path(config).exists() or task.done(), what="control socket")
    assert not task.done(), task.result()
    window = _new_window(app, seen)
    assert window is not None, "no main window"
    seen.add(id(window))
    tray = window.findChild(Tray)
    assert tray is not None, "no tray on this display"
    await asyncio.sleep(SETTLE_S)
    return task, window, tray


async def scenario(app: QApplication, workdir: Path) -> int:
    memory_keyring.install()
    assert QSystemTrayIcon.isSystemTrayAvailable(), "no system tray on this display"
    server = await start_server(
        ServerConfig(db_url=f"sqlite:///{workdir / 'db.sqlite'}", host="127.0.0.1", port=0)
    )
    seen: set[int] = set()
    try:
        # The setting off: the window comes up (so the check below means something).
        task, window, tray = await start_app(app, workdir, server.url, False, seen)
        assert window.isVisible(), "start_minimised off: the window should show"
        assert tray.icon.isVisible()
        tray.quit.trigger()
        assert await asyncio.wait_for(task, 30) == 0

        # The setting on: only the tray icon.
        task, window, tray = await start_app(app, workdir, server.url, True, seen)
        assert not window.isVisible(), "start_minimised on: the window should stay hidden"
        assert tray.icon.isVisible(), "start_minimised on: the tray icon should show"
        assert not task.done()
        # The tray brings the window up.
        tray.toggle_window()
        await until(lambda: window.isVisible(), what="window from the tray")
        tray.quit.trigger()
        assert await asyncio.wait_for(task, 30) == 0
        print("start minimised scenario: ok", flush=True)
        return 0
    finally:
        await server.stop()


def main() -> int:
    return run_qt(lambda app: scenario(app, Path(sys.argv[1])))


if __name__ == "__main__":
    sys.exit(main())
