"""Plain numpy/stdlib audio helpers: mixing, buffering, test signals, analysis.

Nothing here imports aiortc or does I/O, so it is unit-testable with arrays.
Audio is 48 kHz mono unless a function says otherwise.
"""

SAMPLE_RATE = 48_000
FRAME_SAMPLES = 960  # 20 ms at 48 kHz: the mixer tick and the Opus frame size
