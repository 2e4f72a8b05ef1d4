import numpy as np

from app.dsp.mixer import clip_int16, mix_float, mix_int16, mix_minus


def frame(value: int, n: int = 8) -> np.ndarray:
    return np.full(n, value, dtype=np.int16)


def test_mix_int16_sums() -> None:
    out = mix_int16([frame(100), frame(-30), frame(5)], 8)
    assert out.dtype == np.int16
    assert (out == 75).all()


def test_mix_int16_saturates_instead_of_wrapping() -> None:
    assert (mix_int16([frame(30000), frame(30000)], 8) == 32767).all()
    assert (mix_int16([frame(-30000), frame(-30000)], 8) == -32768).all()


def test_mix_of_nothing_is_silence() -> None:
    assert (mix_int16([], 4) == 0).all()


def test_clip_int16_bounds() -> None:
    acc = np.array([-70000, -32769, 0, 32768, 70000], dtype=np.int32)
    assert clip_int16(acc).tolist() == [-32768, -32768, 0, 32767, 32767]


def test_mix_float_clips_to_unit_range() -> None:
    a = np.full(4, 0.75, dtype=np.float32)
    out = mix_float([a, a], 4)
    assert out.dtype == np.float32
    assert np.allclose(out, 1.0)
    assert np.allclose(mix_float([a, (-a / 3).astype(np.float32)], 4), 0.5)


def test_mix_minus_excludes_own_voice() -> None:
    result = mix_minus({"a": frame(1000), "b": frame(200), "c": frame(30)}, 8)
    assert (result.audience == 1230).all()
    assert (result.for_speaker("a") == 230).all()
    assert (result.for_speaker("b") == 1030).all()
    assert (result.for_speaker("c") == 1200).all()


def test_mix_minus_subtracts_before_clipping() -> None:
    # The total clips, but b's return must still be a's undistorted signal.
    result = mix_minus({"a": frame(20000), "b": frame(20000)}, 8)
    assert (result.audience == 32767).all()
    assert (result.for_speaker("b") == 20000).all()


def test_non_contributor_hears_audience_mix() -> None:
    result = mix_minus({"a": frame(7)}, 8)
    assert result.for_speaker("listener") is result.audience
