"""Per-speaker volume in the room view: the stage grid's context menu (right
click, or the menu key on the selected avatar) offers *Volume…* and *Reset
volume* for anyone on the stage but yourself.

The dialog's slider (0-200 %) changes what you hear while it moves (the
session sends the newest value once the server has answered the last); the
settings are saved when the dialog closes. It is not modal, so the room keeps
working and playing while it is open; one dialog per speaker.
"""

from collections.abc import Callable

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, Qt
from PySide6.QtGui import QAction, QContextMenuEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from app.client.speaker_volumes import MAX_PERCENT, MIN_PERCENT, NORMAL, SpeakerVolumes
from app.ui.dialog_buttons import dialog_buttons
from app.ui.people_model import ME, NAME
from app.ui.plain_text import PlainLabel, isolate


class SpeakerVolumeDialog(QDialog):
    def __init__(
        self,
        volumes: SpeakerVolumes,
        name: str,
        save: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.name = name
        self._volumes = volumes
        self.setWindowTitle(self.tr("Volume of {name}").format(name=isolate(name)))
        heading = PlainLabel()
        heading.setText(self.tr("How loud you hear {name}:").format(name=isolate(name)))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(MIN_PERCENT, MAX_PERCENT)
        self.slider.setSingleStep(5)
        self.slider.setPageStep(25)
        self.slider.setTickInterval(NORMAL)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setValue(volumes.get(name))
        self.slider.setMinimumWidth(self.fontMetrics().horizontalAdvance("m") * 22)
        self.slider.setAccessibleName(self.tr("Volume of {name}").format(name=isolate(name)))
        self.value = QLabel()
        self.value.setMinimumWidth(self.value.fontMetrics().horizontalAdvance("200 %") + 8)
        self.reset = QPushButton(self.tr("&Reset to 100 %"))
        self.reset.setAccessibleName(self.tr("Reset volume"))
        buttons = dialog_buttons(QDialogButtonBox.StandardButton.Close, self)
        row = QHBoxLayout()
        row.addWidget(self.slider, 1)
        row.addWidget(self.value)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(row)
        layout.addWidget(self.reset, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(buttons)
        self._show(self.slider.value())
        self.slider.valueChanged.connect(self._changed)
        self.reset.clicked.connect(lambda: self.slider.setValue(NORMAL))
        buttons.rejected.connect(self.reject)
        self.finished.connect(lambda _result: save())
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def _changed(self, percent: int) -> None:
        self._volumes.set(self.name, percent)
        self._show(percent)

    def _show(self, percent: int) -> None:
        self.value.setText(f"{percent} %")
        self.reset.setEnabled(percent != NORMAL)


class SpeakerVolumeMenu(QWidget):
    """The stage grid's context menu, and the dialogs it opens (by name)."""

    def __init__(
        self,
        view: QListView,
        volumes: SpeakerVolumes,
        save: Callable[[], None],
    ) -> None:
        super().__init__(view)
        self.hide()  # owns the menu and dialogs; shows nothing itself
        self._view = view
        self._volumes = volumes
        self._save = save
        self.menu: QMenu | None = None
        self.dialogs: dict[str, SpeakerVolumeDialog] = {}
        # The viewport gets the mouse's context menu events, the view the keyboard's.
        view.installEventFilter(self)
        view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QContextMenuEvent):
            if event.reason() is QContextMenuEvent.Reason.Keyboard:
                index = self._view.currentIndex()  # the selected avatar
                self._requested(index, self._view.visualRect(index).center())
            else:
                pos = self._view.viewport().mapFromGlobal(event.globalPos())
                self._requested(self._view.indexAt(pos), pos)
            return True
        return False

    def _requested(self, index: QModelIndex, pos: QPoint) -> None:
        if not index.isValid() or index.data(ME):
            return
        name = str(index.data(NAME))
        percent = self._volumes.get(name)
        menu = self.menu = QMenu(self._view)
        volume = QAction(self.tr("&Volume… ({percent} %)").format(percent=percent), menu)
        volume.triggered.connect(lambda: self.open_dialog(name))
        reset = QAction(self.tr("&Reset volume"), menu)
        reset.setEnabled(percent != NORMAL)
        reset.triggered.connect(lambda: self.reset(name))
        menu.addActions([volume, reset])
        menu.popup(self._view.viewport().mapToGlobal(pos))

    def open_dialog(self, name: str) -> SpeakerVolumeDialog:
        dialog = self.dialogs.get(name)
        if dialog is None:
            dialog = self.dialogs[name] = SpeakerVolumeDialog(
                self._volumes, name, self._save, self._view.window()
            )
            dialog.destroyed.connect(lambda: self.dialogs.pop(name, None))
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def reset(self, name: str) -> None:
        self._volumes.reset(name)
        self._save()
