"""Voice-activity mode's speech detector: is someone talking into the microphone?

The WebRTC VAD (webrtcvad-wheels) judges each 20 ms frame; `SpeechGate`
turns its frame-by-frame answers into a press and a release: it opens after
`ONSET` speech frames out of the last `ONSET_WINDOW` (one stray frame of a
door or a cough does not open it) and closes after `HANGOVER_S` without
speech, so that the pauses between words do not chop a sentence. Frames
quieter than `FLOOR_DBFS` count as silence whatever the VAD says: it is tuned
for telephone levels and flags faint room noise now and then.
"""

from collections import deque

import numpy as np
import webrtcvad
from numpy.typing import NDArray

from app.dsp import FRAME_SECONDS, SAMPLE_RATE
from app.dsp.analysis import rms_dbfs

FRAME_S = FRAME_SECONDS  # webrtcvad takes 10, 20 or 30 ms: the app's own frame
ONSET = 3
ONSET_WINDOW = 5
HANGOVER_S = 0.6
FLOOR_DBFS = -50.0
# 0 (lenient) to 3 (strict about what is speech); 2 suits a desktop microphone
# after noise suppression.
AGGRESSIVENESS = 2


class SpeechGate:
    def __init__(
        self, aggressiveness: int = AGGRESSIVENESS, hangover_s: float = HANGOVER_S
    ) -> None:
        self._vad = webrtcvad.Vad(aggressiveness)
        self._frame = round(SAMPLE_RATE * FRAME_S)
        self._pending = np.zeros(0, dtype=np.int16)
        self._recent: deque[bool] = deque(maxlen=ONSET_WINDOW)
        self._hangover = max(1, round(hangover_s / FRAME_S))
        self._quiet = 0
        self.open = False

    def feed(self, samples: NDArray[np.int16]) -> bool | None:
        """Samples of any length (48 kHz mono); the new state when it changed, else None."""
        before = self.open
        self._pending = np.concatenate((self._pending, samples))
        while len(self._pending) >= self._frame:
            frame, self._pending = self._pending[: self._frame], self._pending[self._frame :]
            self._step(self._is_speech(frame))
        return self.open if self.open != before else None

    def reset(self) -> None:
        self._pending = np.zeros(0, dtype=np.int16)
        self._recent.clear()
        self._quiet = 0
        self.open = False

    def _is_speech(self, frame: NDArray[np.int16]) -> bool:
        if rms_dbfs(frame) < FLOOR_DBFS:
            return False
        return bool(self._vad.is_speech(frame.tobytes(), SAMPLE_RATE))

    def _step(self, speech: bool) -> None:
        self._recent.append(speech)
        if speech:
            self._quiet = 0
        else:
            self._quiet += 1
        if not self.open and sum(self._recent) >= ONSET:
            self.open = True
        elif self.open and self._quiet >= self._hangover:
            self.open = False
            self._recent.clear()
