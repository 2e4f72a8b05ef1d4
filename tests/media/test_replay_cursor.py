"""The replay player's cursor, without I/O: a seek cuts the audio decoded
from before its target, drops an older seek's audio, and keeps the position."""

import numpy as np

from app.dsp import SAMPLE_RATE
from app.media.client.replay import ReplayCursor


def test_a_seek_cuts_what_was_decoded_before_its_target() -> None:
    cursor = ReplayCursor(duration=60.0)
    generation = cursor.seek(10.0)
    assert cursor.position == 10.0
    # The demuxer landed on a page starting at 9.5 s: the first half second goes.
    pcm = np.arange(SAMPLE_RATE, dtype=np.int16)  # 9.5 s to 10.5 s
    kept = cursor.accept(generation, 9.5, pcm)
    assert kept is not None and len(kept) == SAMPLE_RATE // 2 and kept[0] == SAMPLE_RATE // 2
    # A frame wholly before the target is dropped; one after it kept whole.
    assert cursor.accept(generation, 8.0, pcm[:960]) is None
    assert cursor.accept(generation, 10.5, pcm[:960]) is not None
    # Audio of an older seek never plays.
    newer = cursor.seek(30.0)
    assert cursor.accept(generation, 30.0, pcm) is None
    # The position moves with what the device took, for this seek only.
    cursor.played(generation, SAMPLE_RATE)
    cursor.played(newer, SAMPLE_RATE // 2)
    assert cursor.position == 30.5


def test_the_position_stays_within_the_replay() -> None:
    cursor = ReplayCursor(duration=5.0)
    assert cursor.seek(-3.0) == 1 and cursor.position == 0.0
    generation = cursor.seek(99.0)
    assert cursor.position == 5.0
    cursor.played(generation, SAMPLE_RATE)
    assert cursor.position == 5.0
