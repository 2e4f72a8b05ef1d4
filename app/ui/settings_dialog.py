"""The settings dialog: sound devices with a level meter and mic test,
volume, push-to-talk (key, hold/latch, release tail), cue sounds, the tray,
the window theme (light, dark, or the system's) and which server to use.

It edits a copy of the settings; OK hands the copy to
`app.client.preferences.apply_settings` (through `open_settings`), which
applies it to the running app and saves it. The level meter shows the
microphone the app is using; "Hear yourself" plays it back on the speakers.
"""

import copy
import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.audio.prefs import DeviceInfo, Direction
from app.audio.processing import ProcessingSettings
from app.client.app_settings import MAX_VOLUME, ServerMode, Settings
from app.client.device_audio import DeviceAudio, processing_of
from app.client.ptt import MAX_TAIL_MS, PttMode
from app.client.pulse_devices import PREFIX, PulseDevice
from app.ui.dialog_buttons import dialog_buttons
from app.ui.i18n import LANGUAGES
from app.ui.keys import name_of_key

log = logging.getLogger(__name__)
METER_MS = 50
MODIFIERS = {Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta}


class KeyCaptureButton(QPushButton):
    """Shows the push-to-talk key; click, then press a key to change it (Esc: keep)."""

    keyChanged = Signal(str)

    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(key, parent)
        self.key = key
        self.setCheckable(True)
        self.setAccessibleName(self.tr("Push-to-talk key"))
        self.toggled.connect(self._capturing)

    def _capturing(self, on: bool) -> None:
        self.setText(self.tr("Press a key…") if on else self.key)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self.isChecked():
            super().keyPressEvent(event)
            return
        key = event.key()
        if key != Qt.Key.Key_Escape and key not in (Qt.Key.Key_unknown, 0):
            name = name_of_key(key)
            if name:
                self.key = name
                self.keyChanged.emit(name)
        self.setChecked(False)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.setChecked(False)
        super().focusOutEvent(event)


class SettingsDialog(QDialog):
    def __init__(
        self, settings: Settings, audio: DeviceAudio | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Panggung settings"))
        self.setAccessibleName(self.tr("Settings"))
        self.settings = copy.deepcopy(settings)
        self.audio = audio

        # -- sound --
        self.input = QComboBox()
        self.input.setAccessibleName(self.tr("Microphone"))
        self.output = QComboBox()
        self.output.setAccessibleName(self.tr("Speakers"))
        self.level = QProgressBar()
        self.level.setRange(0, 100)
        self.level.setTextVisible(False)
        self.level.setAccessibleName(self.tr("Microphone level"))
        self.hear_yourself = QCheckBox(self.tr("&Hear yourself (mic test)"))
        self.hear_yourself.setAccessibleName(self.tr("Hear yourself"))
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(0, MAX_VOLUME)
        self.volume.setValue(self.settings.output_volume)
        self.volume.setAccessibleName(self.tr("Output volume"))
        self.volume_label = QLabel()
        self.cues = QCheckBox(self.tr("&Play a short sound when push-to-talk starts and stops"))
        self.cues.setAccessibleName(self.tr("Cue sounds"))
        self.cues.setChecked(self.settings.cues)
        # Voice processing: each switch applies at once (the mic test lets the
        # person hear the difference); Cancel puts back what was there.
        self.echo = QCheckBox(self.tr("&Echo cancellation (no headphones needed)"))
        self.echo.setAccessibleName(self.tr("Echo cancellation"))
        self.echo.setChecked(self.settings.echo_cancellation)
        self.noise = QCheckBox(self.tr("Noise s&uppression"))
        self.noise.setAccessibleName(self.tr("Noise suppression"))
        self.noise.setChecked(self.settings.noise_suppression)
        self.gain = QCheckBox(self.tr("&Automatic microphone level"))
        self.gain.setAccessibleName(self.tr("Automatic gain"))
        self.gain.setChecked(self.settings.auto_gain)
        self.no_devices = QLabel(
            self.tr("No sound devices are open: the app cannot play or record.")
        )
        self.no_devices.setWordWrap(True)
        sound = QGroupBox(self.tr("Sound"))
        sound_form = QFormLayout(sound)
        sound_form.addRow(self.no_devices)
        sound_form.addRow(self.tr("&Microphone:"), self.input)
        sound_form.addRow(self.tr("Level:"), self.level)
        sound_form.addRow(self.hear_yourself)
        for switch in (self.echo, self.noise, self.gain):
            sound_form.addRow(switch)
        sound_form.addRow(self.tr("&Speakers:"), self.output)
        sound_form.addRow(self.tr("&Volume:"), self.volume)
        sound_form.addRow("", self.volume_label)
        sound_form.addRow(self.cues)

        # -- push-to-talk --
        self.ptt_key = KeyCaptureButton(self.settings.ptt_key)
        self.mode = QComboBox()
        self.mode.setAccessibleName(self.tr("Push-to-talk mode"))
        self.mode.addItem(self.tr("Hold the key to talk"), PttMode.HOLD.value)
        self.mode.addItem(
            self.tr("Press to start, press again to stop (latch)"), PttMode.LATCH.value
        )
        self.mode.setCurrentIndex(max(0, self.mode.findData(self.settings.ptt_mode)))
        self.voice_activity = QCheckBox(
            self.tr("Talk when I speak (voice activity &detection) — others see a badge")
        )
        self.voice_activity.setAccessibleName(self.tr("Voice activity mode"))
        self.voice_activity.setChecked(self.settings.voice_activity)
        self.tail = QSpinBox()
        self.tail.setRange(0, MAX_TAIL_MS)
        self.tail.setSingleStep(50)
        self.tail.setSuffix(self.tr(" ms"))
        self.tail.setValue(self.settings.ptt_tail_ms)
        self.tail.setAccessibleName(self.tr("Release tail"))
        self.global_ptt = QCheckBox(self.tr("Key works while other windows have the focus (X11)"))
        self.global_ptt.setAccessibleName(self.tr("Global push-to-talk key"))
        self.global_ptt.setChecked(self.settings.global_ptt)
        ptt = QGroupBox(self.tr("Push-to-talk"))
        ptt_form = QFormLayout(ptt)
        ptt_form.addRow(self.tr("&Key:"), self.ptt_key)
        ptt_form.addRow(self.tr("M&ode:"), self.mode)
        ptt_form.addRow(self.tr("Release &tail:"), self.tail)
        ptt_form.addRow(self.global_ptt)
        ptt_form.addRow(self.voice_activity)

        # -- app --
        self.start_minimised = QCheckBox(self.tr("Start m&inimised to the tray"))
        self.start_minimised.setAccessibleName(self.tr("Start minimised to the tray"))
        self.start_minimised.setChecked(self.settings.start_minimised)
        self.embedded = QRadioButton(self.tr("Host on this compute&r"))
        self.embedded.setAccessibleName(self.tr("Host on this computer"))
        self.share = QCheckBox(self.tr("Let others on my &network join"))
        self.share.setAccessibleName(self.tr("Let others on my network join"))
        self.share.setToolTip(
            self.tr(
                "Rooms hosted here accept people on your local network; "
                "invite links carry this computer's address."
            )
        )
        self.share.setChecked(self.settings.share_on_network)
        self.remote = QRadioButton(self.tr("&Connect to a server URL:"))
        self.remote.setAccessibleName(self.tr("Connect to a server URL"))
        self.server_url = QLineEdit(self.settings.server_url)
        self.server_url.setPlaceholderText("ws://host:8765/ws")
        self.server_url.setAccessibleName(self.tr("Server URL"))
        group = QButtonGroup(self)
        group.addButton(self.embedded)
        group.addButton(self.remote)
        (self.remote if self.settings.server_mode == ServerMode.URL else self.embedded).setChecked(
            True
        )
        self.share.setEnabled(self.embedded.isChecked())
        self.embedded.toggled.connect(self.share.setEnabled)
        self.language = QComboBox()
        self.language.setAccessibleName(self.tr("Language"))
        self.language.addItem(self.tr("System language"), "")
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)  # each language in its own name
        self.language.setCurrentIndex(max(0, self.language.findData(self.settings.language)))
        self.theme = QComboBox()
        self.theme.setAccessibleName(self.tr("Window theme"))
        self.theme.addItem(self.tr("As the system"), "system")
        self.theme.addItem(self.tr("Light"), "light")
        self.theme.addItem(self.tr("Dark"), "dark")
        self.theme.setCurrentIndex(max(0, self.theme.findData(self.settings.theme)))
        app_box = QGroupBox(self.tr("App"))
        app_form = QFormLayout(app_box)
        app_form.addRow(self.tr("&Language:"), self.language)
        app_form.addRow(self.tr("&Window theme:"), self.theme)
        app_form.addRow(self.start_minimised)
        app_form.addRow(self.embedded)
        app_form.addRow(self.share)
        app_form.addRow(self.remote, self.server_url)
        app_form.addRow(
            QLabel(self.tr("A new language or server choice takes effect at the next start."))
        )

        self.buttons = dialog_buttons(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for box in (sound, ptt, app_box):
            layout.addWidget(box)
        layout.addWidget(self.buttons)

        self.volume.valueChanged.connect(self._volume_changed)
        self._volume_changed(self.volume.value())
        self.hear_yourself.toggled.connect(self._monitor)
        for switch in (self.echo, self.noise, self.gain):
            switch.toggled.connect(self._processing_changed)
        self._done = False
        self.finished.connect(self._closed)
        self._meter = QTimer(self)
        self._meter.setInterval(METER_MS)
        self._meter.timeout.connect(self._show_level)
        has_audio = audio is not None
        self.no_devices.setVisible(not has_audio)
        for widget in (self.input, self.output, self.hear_yourself, self.volume, self.cues):
            widget.setEnabled(has_audio)
        for switch in (self.echo, self.noise, self.gain):
            switch.setEnabled(has_audio)
        self._fill(self.input, [], "input")
        self._fill(self.output, [], "output")
        if has_audio:
            self._meter.start()

    # -- devices -------------------------------------------------------------------------

    async def load_devices(self) -> None:
        """List the devices (PortAudio, off the event loop) into the two menus."""
        if self.audio is None:
            return
        try:
            devices = await self.audio.devices()
            named = {d: await self.audio.pulse_devices(d) for d in ("input", "output")}
        except Exception as exc:
            log.warning("listing sound devices failed: %r", exc)
            return
        if self._done:
            return  # closed while listing: its widgets may be gone already
        self._fill(self.input, devices, "input", named["input"])
        self._fill(self.output, devices, "output", named["output"])

    def _fill(
        self,
        box: QComboBox,
        devices: list[DeviceInfo],
        direction: Direction,
        named: list[PulseDevice] | None = None,
    ) -> None:
        wanted = self.settings.input_device if direction == "input" else self.settings.output_device
        box.clear()
        box.addItem(self.tr("System default"), None)
        # The sound server's devices by the names people know them by, first.
        for pulse in named or []:
            box.addItem(pulse.description, pulse.choice)
        for device in devices:
            if device.channels(direction) > 0 and box.findData(device.name) < 0:
                box.addItem(device.name, device.name)
        if wanted is not None and box.findData(wanted) < 0:
            shown = wanted.removeprefix(PREFIX)
            box.addItem(self.tr("{device} (not connected)").format(device=shown), wanted)
        box.setCurrentIndex(max(0, box.findData(wanted)))

    def device_names(self, direction: Direction) -> list[str]:
        box = self.input if direction == "input" else self.output
        return [box.itemData(i) for i in range(1, box.count())]

    # -- live bits ------------------------------------------------------------------------

    def _show_level(self) -> None:
        if self.audio is not None:
            self.level.setValue(round(self.audio.meter.level * 100))

    def _monitor(self, on: bool) -> None:
        if self.audio is not None and self.audio.monitoring != on:
            self.audio.set_monitor(on)

    def _processing_changed(self, _on: bool) -> None:
        if self.audio is not None:
            self.audio.set_processing(
                ProcessingSettings(
                    self.echo.isChecked(), self.noise.isChecked(), self.gain.isChecked()
                )
            )

    def _closed(self, result: int) -> None:
        self._done = True
        self._meter.stop()
        self._monitor(False)  # the mic test ends with the dialog
        if result != QDialog.DialogCode.Accepted and self.audio is not None:
            self.audio.set_processing(processing_of(self.settings))  # Cancel: as it was

    def _volume_changed(self, value: int) -> None:
        self.volume_label.setText(f"{value} %")

    # -- the result ------------------------------------------------------------------------

    def chosen(self) -> Settings:
        """The settings as the dialog shows them."""
        s = copy.deepcopy(self.settings)
        s.input_device = self.input.currentData()
        s.output_device = self.output.currentData()
        s.output_volume = self.volume.value()
        s.cues = self.cues.isChecked()
        s.echo_cancellation = self.echo.isChecked()
        s.noise_suppression = self.noise.isChecked()
        s.auto_gain = self.gain.isChecked()
        s.ptt_key = self.ptt_key.key
        s.ptt_mode = str(self.mode.currentData())
        s.ptt_tail_ms = self.tail.value()
        s.voice_activity = self.voice_activity.isChecked()
        s.global_ptt = self.global_ptt.isChecked()
        s.start_minimised = self.start_minimised.isChecked()
        s.language = str(self.language.currentData())
        s.theme = str(self.theme.currentData())
        s.share_on_network = self.share.isChecked()
        url = self.server_url.text().strip()
        untouched = self.embedded.isChecked() and url == self.settings.server_url
        if self.settings.server_mode == ServerMode.UNSET and untouched:
            pass  # never chosen (a --server run): still ask at the next plain start
        elif self.remote.isChecked() and url:
            s.server_mode, s.server_url = ServerMode.URL.value, url
        else:
            s.server_mode = ServerMode.EMBEDDED.value
            s.server_url = url
        s.normalise()
        return s


def open_settings(
    parent: QWidget,
    settings: Settings,
    audio: DeviceAudio | None,
    run: Callable[..., object],
    on_accept: Callable[[Settings], object],
) -> SettingsDialog:
    """Show the dialog (not modal to the event loop: qasync keeps running);
    `run` schedules a coroutine, `on_accept` gets the chosen settings."""
    dialog = SettingsDialog(settings, audio, parent)
    dialog.accepted.connect(lambda: on_accept(dialog.chosen()))
    dialog.finished.connect(lambda _r: dialog.deleteLater())
    run(dialog.load_devices())
    dialog.open()
    return dialog
