"""My recordings: the recordings this user may download (those they started
and those of rooms they hosted), each saved to a file of their choosing.

The listing and the download go through DesktopSession, which raises only
RecordingError; the dialog turns its `problem` into a sentence in the user's
language and shows it in its own status line, so nothing escapes to the
window. Where to save is asked with a non-modal file dialog (qasync keeps
running); `save_to` is the step after that, which the tests drive directly.
"""

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QDateTime, QLocale, Qt
from PySide6.QtCore import QStandardPaths as Paths
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.client.app_state import Phase
from app.client.recordings import Problem, RecordingError, suggested_file_name
from app.protocol.model import RecordingInfo
from app.ui.controller import SessionController
from app.ui.dialog_buttons import dialog_buttons
from app.ui.list_table import list_table

CONTEXT = "RecordingsDialog"
COLUMNS = [
    str(QT_TRANSLATE_NOOP("RecordingsDialog", "Room")),
    str(QT_TRANSLATE_NOOP("RecordingsDialog", "Recorded")),
    str(QT_TRANSLATE_NOOP("RecordingsDialog", "Duration")),
    str(QT_TRANSLATE_NOOP("RecordingsDialog", "Size")),
]
PROBLEMS: dict[Problem, str] = {
    Problem.NOT_SIGNED_IN: str(
        QT_TRANSLATE_NOOP("RecordingsDialog", "Sign in to see your recordings.")
    ),
    Problem.UNAUTHORIZED: str(
        QT_TRANSLATE_NOOP("RecordingsDialog", "Your session has expired. Please sign in again.")
    ),
    Problem.NOT_FOUND: str(
        QT_TRANSLATE_NOOP(
            "RecordingsDialog", "That recording is not there any more. Refresh the list."
        )
    ),
    Problem.IN_PROGRESS: str(
        QT_TRANSLATE_NOOP(
            "RecordingsDialog", "That recording is still running: stop it first, then save it."
        )
    ),
    Problem.GONE: str(
        QT_TRANSLATE_NOOP("RecordingsDialog", "The recording's file is gone from the server.")
    ),
    Problem.SERVER: str(QT_TRANSLATE_NOOP("RecordingsDialog", "The server refused: {detail}")),
    Problem.NETWORK: str(
        QT_TRANSLATE_NOOP(
            "RecordingsDialog", "Cannot reach the server. Check the connection and try again."
        )
    ),
    Problem.DISK: str(QT_TRANSLATE_NOOP("RecordingsDialog", "Cannot save the file: {detail}")),
}


class RecordingsDialog(QDialog):
    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self.recordings: list[RecordingInfo] = []
        self.file_dialog: QFileDialog | None = None
        self._busy = False
        self.setWindowTitle(self.tr("My recordings"))
        self.setAccessibleName(self.tr("My recordings"))
        self.resize(640, 360)
        intro = QLabel(self.tr("Recordings you started, and those of rooms you hosted."))
        intro.setWordWrap(True)
        self.table = list_table(CONTEXT, COLUMNS, {0}, self.tr("Recordings"))
        self.table.setAccessibleDescription(
            self.tr("Choose a recording with the arrow keys; Enter saves it.")
        )
        self.empty = QLabel(
            self.tr("No recordings yet. Moderators start one from the room's moderation panel.")
        )
        self.empty.setWordWrap(True)
        self.empty.hide()
        self.status = QLabel()
        self.status.setAccessibleName(self.tr("Status"))
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.save = QPushButton(self.tr("&Save as…"))
        self.save.setAccessibleName(self.tr("Save the selected recording as a file"))
        self.refresh_button = QPushButton(self.tr("&Refresh"))
        self.refresh_button.setAccessibleName(self.tr("Refresh the list of recordings"))
        self.buttons = dialog_buttons(QDialogButtonBox.StandardButton.Close)
        close = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName(self.tr("Close"))
        self.buttons.addButton(self.save, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.refresh_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        # The order a keyboard user expects: the list, then what acts on it.
        QWidget.setTabOrder(self.table, self.save)
        QWidget.setTabOrder(self.save, self.refresh_button)
        QWidget.setTabOrder(self.refresh_button, close)

        self.save.clicked.connect(self.save_as)
        self.refresh_button.clicked.connect(self.refresh)
        self.table.cellActivated.connect(lambda _row, _col: self.save_as())
        self.table.itemSelectionChanged.connect(self._update_buttons)
        controller.phaseChanged.connect(self._phase)
        # A recording in this room started or stopped: the list is out of date.
        self._room_recording = self._recording_here()
        controller.roomChanged.connect(self._room_changed)
        self._update_buttons()

    # -- the list ---------------------------------------------------------------------

    def refresh(self) -> "asyncio.Task[Any] | None":
        # Busy at once, not when the task starts: no second click meanwhile.
        self._set_busy(True)
        return self._controller.run(self.load())

    async def load(self) -> bool:
        """Ask the server for the list again; False (and why, in the status
        line) when that failed."""
        self._set_busy(True)
        self.status.setText(self.tr("Loading…"))
        try:
            listed = await self._controller.session.list_recordings()
        except RecordingError as exc:
            self._failed(exc)
            return False
        finally:
            self._set_busy(False)
        self.status.clear()
        self.show_recordings(listed)
        return True

    def show_recordings(self, listed: list[RecordingInfo]) -> None:
        chosen = self.selected()
        self.recordings = list(listed)
        self.table.setRowCount(len(listed))
        for row, info in enumerate(listed):
            cells = [info.room_title, when(info), duration(info), size(info)]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, info.recording_id)
                if col > 1:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, col, item)
        if listed:  # the same one stays selected, else the newest
            ids = [info.recording_id for info in listed]
            wanted = chosen.recording_id if chosen is not None else None
            self.table.selectRow(ids.index(wanted) if wanted in ids else 0)
        self.empty.setVisible(not listed)
        self._update_buttons()

    def selected(self) -> RecordingInfo | None:
        rows = self.table.selectionModel().selectedRows() if self.recordings else []
        return self.recordings[rows[0].row()] if rows else None

    # -- saving ----------------------------------------------------------------------------

    def save_as(self) -> None:
        """Ask where to save the selected recording (default: its room's title
        and date in the Music folder), then save it there."""
        info = self.selected()
        if info is None or self._busy:
            return
        if info.ended_at is None:
            self.status.setText(QCoreApplication.translate(CONTEXT, PROBLEMS[Problem.IN_PROGRESS]))
            return
        folder = Paths.writableLocation(Paths.StandardLocation.MusicLocation) or str(Path.home())
        dialog = QFileDialog(self, self.tr("Save recording"), folder)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setNameFilter(self.tr("Ogg/Opus audio (*.ogg)"))
        dialog.setDefaultSuffix("ogg")
        dialog.selectFile(suggested_file_name(info))
        dialog.fileSelected.connect(
            lambda path: self._controller.run(self.save_to(Path(path), info))
        )
        dialog.finished.connect(lambda _result: dialog.deleteLater())
        self.file_dialog = dialog
        dialog.open()

    async def save_to(self, path: Path, info: RecordingInfo | None = None) -> bool:
        """Download `info` (default: the selected recording) to `path`; the
        outcome is shown in the status line."""
        info = info or self.selected()
        if info is None:
            return False
        self._set_busy(True)
        total = max(info.bytes, 1)

        def progress(done: int) -> None:
            percent = min(100, done * 100 // total)
            self.status.setText(self.tr("Saving… {percent} %").format(percent=percent))

        progress(0)
        try:
            written = await self._controller.session.download_recording(
                info.recording_id, path, progress
            )
        except RecordingError as exc:
            self._failed(exc)
            return False
        finally:
            self._set_busy(False)
        self.status.setText(
            self.tr("Saved {file} ({size}).").format(file=path.name, size=format_size(written))
        )
        return True

    # -- plumbing ----------------------------------------------------------------------------

    def _failed(self, exc: RecordingError) -> None:
        text = QCoreApplication.translate(CONTEXT, PROBLEMS[exc.problem])
        self.status.setText(text.format(detail=exc.detail))

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.refresh_button.setEnabled(not self._busy)
        self.save.setEnabled(not self._busy and self.selected() is not None)

    def _recording_here(self) -> bool:
        model = self._controller.session.model
        return model is not None and model.recording

    def _room_changed(self) -> None:
        now = self._recording_here()
        if now != self._room_recording:
            self._room_recording = now
            if not self._busy:
                self.refresh()

    def _phase(self, phase: str) -> None:
        if phase == Phase.SIGNED_OUT:
            self.reject()  # the list was the previous user's


def when(info: RecordingInfo) -> str:
    started = QDateTime.fromSecsSinceEpoch(round(info.started_at))
    return QLocale().toString(started, QLocale.FormatType.ShortFormat)


def duration(info: RecordingInfo) -> str:
    if info.ended_at is None:
        return QCoreApplication.translate("RecordingsDialog", "recording now")
    seconds = round(info.duration)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def size(info: RecordingInfo) -> str:
    return "" if info.ended_at is None else format_size(info.bytes)


def format_size(n: int) -> str:
    return QLocale().formattedDataSize(n, 1, QLocale.DataSizeFormat.DataSizeSIFormat)
