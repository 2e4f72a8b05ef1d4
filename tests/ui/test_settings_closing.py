"""Settings closed while it still lists the sound devices (a person who opens
it and presses Escape at once): the late list is dropped, not written into
widgets Qt has already deleted."""

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from app.audio.prefs import DeviceInfo
from app.audio.virtual import VirtualPulse
from tests.client.desktop_support import until
from tests.ui.conftest import Run
from tests.ui.test_settings_sound import App, apps, open_app, pulse, sound

__all__ = ["apps", "pulse", "sound"]  # the fixtures, shared with test_settings_sound


def test_closing_settings_while_devices_are_listed_loses_nothing(
    run: Run[Any],
    sound: VirtualPulse,
    apps: list[App],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        app = await open_app(apps, tmp_path)
        gate = asyncio.Event()
        listed: list[list[DeviceInfo]] = []
        real = app.audio.devices

        async def slow_devices() -> list[DeviceInfo]:
            await gate.wait()  # the listing outlives the dialog
            listed.append(await real())
            return listed[-1]

        app.audio.devices = slow_devices  # type: ignore[method-assign]
        app.window.settings_action.trigger()
        dialog = app.hook.dialog
        assert dialog is not None
        dialog.reject()
        await asyncio.sleep(0.3)  # Qt deletes the dialog (deleteLater)
        gate.set()
        await until(lambda: bool(listed), 30, "devices listed")
        await asyncio.sleep(0.3)  # the dialog's task finishes with the list

        app.audio.devices = real  # type: ignore[method-assign]
        app.window.settings_action.trigger()  # and Settings still opens and lists
        again = app.hook.dialog
        assert again is not None and again is not dialog
        await until(lambda: len(again.device_names("input")) > 0, 30, "devices listed again")
        again.reject()

    with caplog.at_level(logging.WARNING):
        run(scenario())
    # The app's own errors (the dialog's task failing); not a leftover of an
    # earlier test in this worker that the garbage collector reports meanwhile.
    failures = [
        r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("app.")
    ]
    assert not failures, [r.getMessage() for r in failures]
