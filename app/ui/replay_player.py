"""Playing a replay: its title, a position slider (drag to seek), the time,
and play / pause. The audio goes through the app's device like a room's;
closing the window stops it."""

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from app.protocol.model import ReplayInfo
from app.ui.controller import SessionController

TICKS_PER_SECOND = 10  # the slider's resolution: a tenth of a second
REFRESH_MS = 200


def clock(seconds: float) -> str:
    """1:05 or 1:02:05."""
    whole = int(max(0.0, seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ReplayPlayerWindow(QDialog):
    def __init__(
        self, controller: SessionController, info: ReplayInfo, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self.info = info
        # The player this window shows (and stops when closed; never the next one's).
        self.player = controller.session.replays.player
        self.setWindowTitle(self.tr("Replay: {title}").format(title=info.room_title))
        self.title = QLabel(info.room_title)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setAccessibleName(self.tr("Position in the replay"))
        self.slider.setRange(0, max(1, round(info.duration * TICKS_PER_SECOND)))
        self.slider.setPageStep(10 * TICKS_PER_SECOND)
        self.time = QLabel()
        self.problem = QLabel()
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setWordWrap(True)
        self.play = QPushButton()
        self.play.setAccessibleName(self.tr("Play or pause"))
        row = QHBoxLayout()
        row.addWidget(self.play)
        row.addWidget(self.slider, 1)
        row.addWidget(self.time)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(row)
        layout.addWidget(self.problem)
        self.play.clicked.connect(self.toggle)
        # Seek once the user lets go (or steps with the keys), not while dragging.
        self.slider.sliderReleased.connect(lambda: self.seek(self.slider.value()))
        self.slider.actionTriggered.connect(self._stepped)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.show_position)
        self._timer.start(REFRESH_MS)
        # Closed, Esc or the window's X: the replay stops with it.
        self.finished.connect(lambda _result: self._finished())
        self.show_position()

    def toggle(self) -> None:
        player = self.player
        if player is None:
            return
        if player.paused:
            player.resume()
        else:
            player.pause()
        self.show_position()

    def seek(self, ticks: int) -> None:
        player = self.player
        if player is not None:
            player.seek(ticks / TICKS_PER_SECOND)
        self.show_position()

    def _stepped(self, action: int) -> None:
        if action != QSlider.SliderAction.SliderMove.value:  # keys, page clicks
            QTimer.singleShot(0, lambda: self.seek(self.slider.value()))

    def show_position(self) -> None:
        player = self.player
        position = player.position if player is not None else 0.0
        if not self.slider.isSliderDown():
            self.slider.setValue(round(position * TICKS_PER_SECOND))
        self.time.setText(f"{clock(position)} / {clock(self.info.duration)}")
        error = player.error if player is not None else None
        # FFmpeg's words (e.g. "Server returned 410 Gone"): shown, not translated.
        self.problem.setText(self.tr("Cannot play the replay: {error}").format(error=error))
        self.problem.setVisible(error is not None)
        paused = player is None or player.paused
        self.play.setText(self.tr("&Play") if paused else self.tr("&Pause"))
        self.play.setEnabled(player is not None)

    def _finished(self) -> None:
        self._timer.stop()
        self._controller.run(self._controller.session.replays.stop(only=self.player))
