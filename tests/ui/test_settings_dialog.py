"""The settings dialog from the window's menu, applied to the running app:
a new push-to-talk key works in the room at once, latch mode and the
release tail follow, and everything is saved."""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.client.app_settings import JsonSettingsStore, Settings
from app.client.app_state import Phase
from app.server.app import RunningServer
from app.ui.settings_dialog import SettingsDialog
from app.ui.shell import DesktopShell
from app.ui.sound import SettingsHook
from tests.client.desktop_support import until
from tests.ui.conftest import Run
from tests.ui.test_sign_in import PASSWORD, sign_in


class FakeHotkey:
    def __init__(self) -> None:
        self.applied: list[Settings] = []

    def apply(self, settings: Settings) -> None:
        self.applied.append(Settings(**vars(settings)))


async def choose(
    hook: SettingsHook, shell: DesktopShell, edit: Callable[[SettingsDialog], None]
) -> None:
    shell.window.settings_action.trigger()
    dialog = hook.dialog
    assert dialog is not None and dialog.isVisible()
    edit(dialog)
    before = hook.applied
    dialog.accept()
    await until(lambda: hook.applied is not before, what="applying")
    assert hook.applied is not None
    await hook.applied
    window = shell.window
    window.activateWindow()
    await until(lambda: window.isActiveWindow(), what="window active again")


def capture_key(dialog: SettingsDialog, key: Qt.Key) -> None:
    QTest.mouseClick(dialog.ptt_key, Qt.MouseButton.LeftButton)
    assert dialog.ptt_key.text() == "Press a key…"
    QTest.keyClick(dialog.ptt_key, key)


def test_ptt_key_mode_and_tail_from_the_dialog(
    run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell], tmp_path: Path
) -> None:
    async def scenario() -> None:
        shell = shells(server.url)
        window, session = shell.window, shell.session
        hotkey = FakeHotkey()
        hook = SettingsHook(window, shell.controller, None, hotkey)
        sign_in(shell, "keys", PASSWORD, register=True)
        await until(lambda: session.phase is Phase.DIRECTORY, what="signed in")
        assert await session.create_room("Keys")
        await until(lambda: window.pages.currentWidget() is window.room, what="room page")

        def f8_latched(dialog: SettingsDialog) -> None:
            assert dialog.no_devices.isVisibleTo(dialog)  # PullAudio: no devices
            assert not dialog.input.isEnabled()
            capture_key(dialog, Qt.Key.Key_F8)
            assert dialog.ptt_key.key == "F8" and dialog.ptt_key.text() == "F8"
            dialog.mode.setCurrentIndex(dialog.mode.findData("latch"))
            dialog.cues.setChecked(False)

        await choose(hook, shell, f8_latched)
        saved = JsonSettingsStore(tmp_path / "app" / "settings.json").load()
        assert (saved.ptt_key, saved.ptt_mode, saved.cues, saved.username) == (
            "F8",
            "latch",
            False,
            "keys",
        )
        assert [s.ptt_key for s in hotkey.applied] == ["F8"]
        assert window.room.latch.isChecked()  # the room's latch button follows

        # Space no longer talks; F8 does, latched.
        QTest.keyPress(window, Qt.Key.Key_Space)
        QTest.keyRelease(window, Qt.Key.Key_Space)
        assert not session.ptt.live
        QTest.keyPress(window, Qt.Key.Key_F8)
        QTest.keyRelease(window, Qt.Key.Key_F8)
        await until(lambda: session.ptt_acked, what="latched on")
        QTest.keyPress(window, Qt.Key.Key_F8)
        QTest.keyRelease(window, Qt.Key.Key_F8)
        await until(lambda: not session.ptt_acked and not session.ptt.live, what="latched off")

        # Hold with a 600 ms release tail; Escape while capturing keeps the key.
        def hold_with_tail(dialog: SettingsDialog) -> None:
            assert dialog.ptt_key.key == "F8" and dialog.mode.currentData() == "latch"
            capture_key(dialog, Qt.Key.Key_Escape)
            dialog.mode.setCurrentIndex(dialog.mode.findData("hold"))
            dialog.tail.setValue(600)

        await choose(hook, shell, hold_with_tail)
        assert session.settings.ptt_key == "F8"
        assert (session.ptt.mode.value, session.ptt.tail_ms) == ("hold", 600)
        QTest.keyPress(window, Qt.Key.Key_F8)
        await until(lambda: session.ptt_acked, what="talking")
        QTest.keyRelease(window, Qt.Key.Key_F8)
        released = time.monotonic()
        assert session.ptt.live and session.ptt.tail_pending  # the tail keeps it open
        await until(lambda: not session.ptt.live, what="tail over")
        assert time.monotonic() - released >= 0.55
        saved = JsonSettingsStore(tmp_path / "app" / "settings.json").load()
        assert (saved.ptt_mode, saved.ptt_tail_ms) == ("hold", 600)

    run(scenario())


def test_cancel_changes_nothing(
    run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell]
) -> None:
    async def scenario() -> None:
        shell = shells(server.url)
        hook = SettingsHook(shell.window, shell.controller, None)
        shell.window.settings_action.trigger()
        dialog = hook.dialog
        assert dialog is not None
        dialog.tail.setValue(1500)
        dialog.start_minimised.setChecked(True)
        dialog.reject()
        await until(lambda: hook.dialog is None, what="closed")
        assert hook.applied is None
        assert shell.session.settings.ptt_tail_ms == 200
        assert not shell.session.settings.start_minimised

    run(scenario())


def test_sharing_on_the_network_goes_with_hosting_here(qapp: object) -> None:
    hosting = Settings(server_mode="embedded")
    dialog = SettingsDialog(hosting, None)
    assert dialog.share.isEnabled() and not dialog.share.isChecked()
    assert dialog.share.accessibleName()
    dialog.share.setChecked(True)
    assert dialog.chosen().share_on_network
    dialog.remote.setChecked(True)  # someone else's server: nothing of ours to share
    assert not dialog.share.isEnabled()
    dialog.embedded.setChecked(True)
    assert dialog.share.isEnabled()
    elsewhere = SettingsDialog(Settings(server_mode="url", server_url="ws://h:1/ws"), None)
    assert not elsewhere.share.isEnabled()
