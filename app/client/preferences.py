"""Applying what the settings dialog chose to the running app: push-to-talk
(mode, tail, key), the sound devices, volume, cues and voice processing;
then saving.

The window's push-to-talk key reads `session.settings.ptt_key` on every key
event, so a new key works at once; the global hotkey is told here. The
server choice takes effect at the next start.
"""

from dataclasses import fields
from typing import Protocol

from app.client.app_settings import Settings
from app.client.desktop_session import DesktopSession
from app.client.device_audio import DeviceAudio, processing_of
from app.client.ptt import PttMode

SERVER_NOTE = "The new server choice takes effect the next time Panggung starts."


class HotkeyControl(Protocol):
    def apply(self, settings: Settings) -> None: ...


async def apply_settings(
    session: DesktopSession,
    new: Settings,
    audio: DeviceAudio | None = None,
    hotkey: HotkeyControl | None = None,
) -> list[str]:
    """Make `new` the session's settings (its username kept) and save them;
    returns notes for the window."""
    new.normalise()
    current = session.settings
    notes: list[str] = []
    if (new.server_mode, new.server_url) != (current.server_mode, current.server_url):
        notes.append(SERVER_NOTE)
    for f in fields(Settings):
        # Kept: set elsewhere (speaker volumes: the stage's menu, maybe while the dialog is open).
        if f.name not in ("username", "ptt_mode", "ptt_tail_ms", "speaker_volumes"):
            setattr(current, f.name, getattr(new, f.name))
    session.set_ptt_tail(new.ptt_tail_ms)
    session.set_ptt_mode(PttMode(new.ptt_mode))  # saves, and tells the window
    if hotkey is not None:
        hotkey.apply(current)
    if audio is not None:
        audio.set_volume(current.output_volume)
        audio.cues_enabled = current.cues
        audio.set_processing(processing_of(current))
        await audio.select("input", current.input_device)
        await audio.select("output", current.output_device)
    session.save_settings()
    return notes
