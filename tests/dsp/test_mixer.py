import numpy as np

from app.dsp.mixer import clip_int16, mix_minus, personal_mix


def frame(value: int, n: int = 8) -> np.ndarray:
    return np.full(n, value, dtype=np.int16)


def test_the_audience_mix_sums() -> None:
    out = mix_minus({"a": frame(100), "b": frame(-30), "c": frame(5)}, 8).audience
    assert out.dtype == np.int16
    assert (out == 75).all()


def test_the_mix_saturates_instead_of_wrapping() -> None:
    assert (mix_minus({"a": frame(30000), "b": frame(30000)}, 8).audience == 32767).all()
    assert (mix_minus({"a": frame(-30000), "b": frame(-30000)}, 8).audience == -32768).all()


def test_mix_of_nothing_is_silence() -> None:
    assert (mix_minus({}, 4).audience == 0).all()


def test_clip_int16_bounds() -> None:
    acc = np.array([-70000, -32769, 0, 32768, 70000], dtype=np.int32)
    assert clip_int16(acc).tolist() == [-32768, -32768, 0, 32767, 32767]


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


def test_personal_mix_scales_each_source_by_its_gain_and_leaves_one_out() -> None:
    sources = {"a": frame(100), "b": frame(-30), "c": frame(5)}
    assert (personal_mix(sources, {"a": 0.0, "b": 2.0}, 8) == -55).all()
    assert (personal_mix(sources, {"b": 0.5}, 8, without="a") == -10).all()
    assert (personal_mix(sources, {}, 8) == 75).all()  # no gains: the audience mix


def test_personal_mix_saturates_a_doubled_loud_source() -> None:
    assert (personal_mix({"a": frame(20000)}, {"a": 2.0}, 8) == 32767).all()
    assert (personal_mix({"a": frame(-20000)}, {"a": 2.0}, 8) == -32768).all()
