"""Plain numpy/stdlib audio helpers: mixing, buffering, test signals, analysis.

Nothing here imports aiortc or does I/O, so it is unit-testable with arrays.
Audio is 48 kHz mono unless a function says otherwise.
"""

SAMPLE_RATE = 48_000
# The one frame: the mixer's tick, the Opus frame, the pacing of every sender.
# Everything else derives from these two (tests/test_architecture.py checks).
FRAME_SAMPLES = 960
FRAME_SECONDS = FRAME_SAMPLES / SAMPLE_RATE  # 0.020
FRAME_MS = 1000 * FRAME_SECONDS
