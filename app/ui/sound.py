"""Wiring the sound devices and the settings into the window: device news
and the no-device note as messages, the push-to-talk cues, and the
settings dialog behind the window's menu (applied to the running app)."""

import asyncio
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QApplication

from app.client.app_settings import Settings
from app.client.cues import CuePlayer
from app.client.desktop_session import DesktopSession
from app.client.device_audio import DeviceAudio, MicFollower
from app.client.preferences import HotkeyControl, apply_settings
from app.client.voice_talk import VoiceTalker
from app.ui.controller import SessionController
from app.ui.design import apply_theme
from app.ui.main_window import MainWindow
from app.ui.settings_dialog import SettingsDialog, open_settings


class AttachedSound:
    """What `attach_sound` hooked to the session (closed when the app quits)."""

    def __init__(self, cues: CuePlayer, mic: MicFollower, voice: VoiceTalker) -> None:
        self.cues = cues
        self.mic = mic
        self.voice = voice

    def close(self) -> None:
        self.cues.close()
        self.mic.close()
        self.voice.close()


def attach_sound(
    window: MainWindow, session: DesktopSession, audio: DeviceAudio | None, note: str = ""
) -> AttachedSound | None:
    """Show `note` (why there is no sound) and the devices' news; play the
    cues; open the microphone while on the stage; talk by voice activity when
    the settings say so."""
    if note:
        window.show_message(note)
        window.statusBar().showMessage(note)
    if audio is None:
        return None
    for text in audio.messages:
        window.show_message(text)
    audio.listeners.append(window.show_message)
    return AttachedSound(
        CuePlayer(session, audio.play_cue),
        MicFollower(session, audio),
        VoiceTalker(session, audio.engine.add_listener),
    )


class SettingsHook:
    """The window's Settings… action: opens the dialog, applies what it chose."""

    def __init__(
        self,
        window: MainWindow,
        controller: SessionController,
        audio: DeviceAudio | None,
        hotkey: HotkeyControl | None = None,
        on_applied: Callable[[Settings], None] | None = None,
    ) -> None:
        self._window = window
        self._controller = controller
        self._audio = audio
        self._hotkey = hotkey
        self._on_applied = on_applied
        self.dialog: SettingsDialog | None = None
        self.applied: asyncio.Task[Any] | None = None
        window.on_settings = self.open

    def open(self) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.raise_()
            return
        session = self._controller.session
        dialog = open_settings(
            self._window, session.settings, self._audio, self._controller.run, self._chosen
        )
        dialog.finished.connect(lambda _result: self._closed(dialog))
        self.dialog = dialog
        if self._audio is not None:  # the level meter needs the microphone
            self._controller.run(self._audio.want_capture("settings", True))

    def _closed(self, dialog: SettingsDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None  # Qt deletes it
        if self._audio is not None:
            self._controller.run(self._audio.want_capture("settings", False))

    def _chosen(self, new: Settings) -> None:
        self.applied = self._controller.run(self._apply(new))

    async def _apply(self, new: Settings) -> None:
        session = self._controller.session
        for note in await apply_settings(session, new, self._audio, self._hotkey):
            self._window.show_message(note)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, session.settings.theme)  # at once, unlike the language
        if self._on_applied is not None:
            self._on_applied(session.settings)
