"""The PulseAudio (or PipeWire's pulse server) microphones and speakers by
name, and routing the app's streams to the chosen one.

PortAudio only sees ALSA's "pulse" and "default" there, so Settings lists the
sound server's own sinks and sources (pulsectl) as "pulse:<name>" choices.
The app then opens PortAudio's "pulse" device with PULSE_SINK/PULSE_SOURCE
naming the choice: libpulse reads them each time a stream connects, so every
reopen (a recovered device, a rescan) lands on the same one.
"""

import logging
import os
from dataclasses import dataclass
from typing import Literal

log = logging.getLogger(__name__)

PREFIX = "pulse:"
PORTAUDIO_DEVICE = "pulse"  # ALSA's pulse plugin, as PortAudio lists it
ENV = {"output": "PULSE_SINK", "input": "PULSE_SOURCE"}
Direction = Literal["input", "output"]


@dataclass(frozen=True, slots=True)
class PulseDevice:
    name: str  # the sound server's name (alsa_output.usb-...)
    description: str  # what people read ("USB Headset Analog Stereo")

    @property
    def choice(self) -> str:
        """What the settings store for it."""
        return PREFIX + self.name


def is_pulse_choice(value: str | None) -> bool:
    return value is not None and value.startswith(PREFIX)


def list_pulse_devices(direction: Direction) -> list[PulseDevice]:
    """The sinks (output) or sources (input, monitors left out); [] when no
    sound server answers or pulsectl is not installed. Blocking: call it off
    the event loop."""
    try:
        import pulsectl
    except ImportError:
        return []
    try:
        with pulsectl.Pulse("panggung-devices", connect=True) as pulse:
            if direction == "output":
                items = [(s.name, s.description) for s in pulse.sink_list()]
            else:
                items = [
                    (s.name, s.description)
                    for s in pulse.source_list()
                    if s.monitor_of_sink_name is None and not s.name.endswith(".monitor")
                ]
    except Exception as exc:  # no server, a refused connection: PortAudio's list only
        log.info("no PulseAudio devices: %r", exc)
        return []
    return [PulseDevice(name, description or name) for name, description in items]


def route(direction: Direction, choice: str | None) -> str | None:
    """Point the next streams at `choice` (a "pulse:" choice, or anything
    else for the sound server's default); the PortAudio device to open."""
    variable = ENV[direction]
    if is_pulse_choice(choice):
        assert choice is not None
        os.environ[variable] = choice.removeprefix(PREFIX)
        return PORTAUDIO_DEVICE
    os.environ.pop(variable, None)
    return choice
