"""My recordings: the window's dialog lists what a user recorded and saves it
to a file, against a real server with its media plane (the audience mix is
encoded every tick, so a silent room still makes a real Ogg/Opus file)."""

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
from PySide6.QtWidgets import QTableWidget

from app.client.app_state import Phase
from app.client.recordings import suggested_file_name
from app.protocol.requests import SetRecording
from app.server.app import RunningServer
from app.ui.recordings_dialog import RecordingsDialog
from app.ui.shell import DesktopShell
from tests.client.desktop_support import until
from tests.ui.conftest import Run
from tests.ui.test_room import create_room
from tests.ui.test_sign_in import PASSWORD, sign_in

RECORD_SECONDS = 1.5


async def signed_in(shell: DesktopShell, name: str) -> None:
    sign_in(shell, name, PASSWORD, register=True)
    await until(lambda: shell.session.phase is Phase.DIRECTORY, what=f"{name} signed in")


async def record_a_while(shell: DesktopShell, title: str) -> None:
    """`shell` creates a room, records it for RECORD_SECONDS, stops."""
    session = shell.session
    await create_room(shell, title, "")
    assert await session.act(SetRecording(on=True))
    await until(lambda: session.model is not None and session.model.recording, what="recording")
    await asyncio.sleep(RECORD_SECONDS)
    assert await session.act(SetRecording(on=False))
    await until(lambda: session.model is not None and not session.model.recording, what="stopped")


async def opened(shell: DesktopShell) -> RecordingsDialog:
    window = shell.window
    assert window.recordings_action.isEnabled()
    window.recordings_action.trigger()
    dialog = window.recordings_dialog
    assert dialog is not None and dialog.isVisible()
    await until(lambda: dialog.refresh_button.isEnabled(), what="list loaded")
    return dialog


def cells(table: QTableWidget, row: int) -> list[str]:
    items = [table.item(row, col) for col in range(table.columnCount())]
    return [item.text() if item is not None else "" for item in items]


def side_files(folder: Path) -> list[Path]:
    """What a download leaves behind while it runs (nothing once it is done)."""
    return list(folder.glob("*.part"))


def server_files(folder: Path) -> list[Path]:
    return list(folder.glob("*.ogg"))


def decoded_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "opus"
        samples = sum(frame.samples for frame in container.decode(stream))
        return samples / 48_000


def test_the_host_lists_and_saves_a_recording(
    run: Run[Any],
    server: RunningServer,
    shells: Callable[..., DesktopShell],
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        host = shells(server.url)
        await signed_in(host, "rina")
        await record_a_while(host, "Podcast: episode 1")
        dialog = await opened(host)
        assert dialog.status.text() == ""
        assert not dialog.empty.isVisibleTo(dialog)
        assert dialog.table.rowCount() == 1
        (info,) = dialog.recordings
        title, recorded, length, size = cells(dialog.table, 0)
        assert title == "Podcast: episode 1" and recorded
        assert info.ended_at is not None and 1.0 < info.duration < 4.0
        assert length in ("0:01", "0:02", "0:03"), length
        assert size.endswith("kB") or size.endswith("bytes"), size
        # Selected on arrival, so Save as… (and Enter) act on it at once.
        assert dialog.selected() == info and dialog.save.isEnabled()
        for widget in (dialog.table, dialog.save, dialog.refresh_button, dialog.status):
            assert widget.accessibleName(), widget

        # The file dialog proposes the room's title and date, made safe.
        dialog.save_as()
        chooser = dialog.file_dialog
        assert chooser is not None
        proposed = suggested_file_name(info)
        assert proposed.startswith("Podcast episode 1 20") and proposed.endswith(".ogg")
        assert Path(chooser.selectedFiles()[0]).name == proposed
        chooser.reject()

        # What choosing a file leads to:
        target = tmp_path / "saved.ogg"
        assert await dialog.save_to(target)
        assert target.stat().st_size == info.bytes
        assert "saved.ogg" in dialog.status.text()
        assert side_files(tmp_path) == []
        assert 1.0 < decoded_seconds(target) < 4.0

        # A folder that is not there: said in the dialog, nothing escapes.
        missing = tmp_path / "nowhere" / "x.ogg"
        assert not await dialog.save_to(missing)
        assert dialog.status.text().startswith("Cannot save the file:"), dialog.status.text()
        assert not missing.parent.exists() and side_files(tmp_path) == []
        assert dialog.save.isEnabled()

        # The server lost the file (410).
        for kept in server_files(tmp_path / "recordings"):
            kept.unlink()
        assert not await dialog.save_to(tmp_path / "gone.ogg")
        assert dialog.status.text() == "The recording's file is gone from the server."

        # Nobody answers at the server's address.
        client = host.session.client
        assert client is not None
        client.url = "ws://127.0.0.1:9/ws"
        assert not await dialog.save_to(tmp_path / "unreachable.ogg")
        assert dialog.status.text().startswith("Cannot reach the server.")
        assert not (tmp_path / "gone.ogg").exists() and not (tmp_path / "unreachable.ogg").exists()

    run(scenario())


def test_a_running_recording_cannot_be_saved_yet(
    run: Run[Any],
    server: RunningServer,
    shells: Callable[..., DesktopShell],
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        host = shells(server.url)
        await signed_in(host, "rina")
        await create_room(host, "Live now", "")
        assert await host.session.act(SetRecording(on=True))
        dialog = await opened(host)
        assert dialog.table.rowCount() == 1
        assert cells(dialog.table, 0)[2] == "recording now"
        # The server answers 409; the dialog says what to do.
        assert not await dialog.save_to(tmp_path / "early.ogg")
        assert "still running" in dialog.status.text()
        assert not (tmp_path / "early.ogg").exists()
        # Stopping it in the room brings the list up to date by itself.
        assert await host.session.act(SetRecording(on=False))
        await until(lambda: cells(dialog.table, 0)[2] != "recording now", what="list refreshed")
        assert dialog.recordings[0].ended_at is not None
        assert await dialog.save_to(tmp_path / "later.ogg")

    run(scenario())


def test_someone_else_sees_no_recordings(
    run: Run[Any],
    server: RunningServer,
    shells: Callable[..., DesktopShell],
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        host = shells(server.url, name="host")
        await signed_in(host, "rina")
        await record_a_while(host, "Not yours")
        other = shells(server.url, name="other")
        assert not other.window.recordings_action.isEnabled()  # signed out: no menu entry
        await signed_in(other, "budi")
        dialog = await opened(other)
        assert dialog.table.rowCount() == 0 and dialog.recordings == []
        assert dialog.empty.isVisibleTo(dialog)
        assert not dialog.save.isEnabled()
        # Asking for rina's by its id: the server's 404, said in the dialog.
        (theirs,) = await host.session.list_recordings()
        assert not await dialog.save_to(tmp_path / "theirs.ogg", theirs)
        assert "not there any more" in dialog.status.text()
        assert not (tmp_path / "theirs.ogg").exists()
        # Signing out closes the list.
        await other.session.sign_out()
        await until(lambda: other.window.recordings_dialog is None, what="dialog closed")

    run(scenario())
