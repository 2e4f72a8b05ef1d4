"""Which voice processing the microphone gets: plain settings, no library.

Kept apart from apm.py so that choosing and saving them does not load
livekit (about 12 MB), which only a microphone that opens needs.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessingSettings:
    echo_cancellation: bool = True
    noise_suppression: bool = True
    auto_gain: bool = True

    @property
    def any(self) -> bool:
        return self.echo_cancellation or self.noise_suppression or self.auto_gain


OFF = ProcessingSettings(False, False, False)
