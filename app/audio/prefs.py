"""Which sound devices to use: remembered by name, chosen by name or index,
the system default when the remembered one is gone. Plain code: the desktop
backs ``DevicePreferences`` with QSettings; here a small JSON file will do."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

log = logging.getLogger(__name__)

Direction = Literal["input", "output"]


@dataclass(frozen=True)
class DeviceInfo:
    index: int  # PortAudio's index: valid only until PortAudio is re-initialised
    name: str
    host_api: str
    max_input_channels: int
    max_output_channels: int
    default_rate: int

    def channels(self, direction: Direction) -> int:
        return self.max_input_channels if direction == "input" else self.max_output_channels


@dataclass
class DevicePreferences:
    """Device names (None = the system default). Names, not indices: indices
    change when devices come and go, names survive a restart."""

    input: str | None = None
    output: str | None = None

    def get(self, direction: Direction) -> str | None:
        return self.input if direction == "input" else self.output

    def set(self, direction: Direction, name: str | None) -> None:
        if direction == "input":
            self.input = name
        else:
            self.output = name


def find_device(
    devices: Sequence[DeviceInfo], direction: Direction, wanted: str | int | None
) -> DeviceInfo | None:
    """The device called ``wanted`` (exact name first, then a unique case-insensitive
    substring) or with that index, if it can work in ``direction``; else None."""
    usable = [d for d in devices if d.channels(direction) > 0]
    if wanted is None:
        return None
    if isinstance(wanted, int):
        return next((d for d in usable if d.index == wanted), None)
    exact = [d for d in usable if d.name == wanted]
    if exact:
        return exact[0]
    partial = [d for d in usable if wanted.lower() in d.name.lower()]
    return partial[0] if len(partial) == 1 else None


def choose_device(
    devices: Sequence[DeviceInfo],
    direction: Direction,
    wanted: str | int | None,
    default_index: int | None,
) -> DeviceInfo | None:
    """``wanted`` if present, else the system default, else the first usable device."""
    found = find_device(devices, direction, wanted)
    if found is not None:
        return found
    found = find_device(devices, direction, default_index)
    if found is not None:
        return found
    return next((d for d in devices if d.channels(direction) > 0), None)
