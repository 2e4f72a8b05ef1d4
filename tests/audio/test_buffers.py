"""The plain parts: ring buffer, format conversion, level meter, preferences, frame channel."""

import asyncio
from collections.abc import Callable

import numpy as np
import pytest

from app.audio.convert import FromRoom, Reframer, ToRoom
from app.audio.meter import FLOOR_DBFS, LevelMeter
from app.audio.playback import Playback
from app.audio.prefs import DeviceInfo, choose_device, find_device
from app.audio.ring import SampleRing
from app.dsp.analysis import peak_frequency, rms_dbfs
from app.dsp.signals import ToneSource, to_int16, tone
from app.media.client.channel import ChannelTrack, FrameChannel


def ramp(start: int, n: int) -> np.ndarray:
    return np.arange(start, start + n, dtype=np.int16)


def test_ring_underrun_plays_silence_and_is_counted() -> None:
    ring = SampleRing(100)
    ring.write(ramp(1, 30))
    out = ring.read(50)
    assert list(out[:30]) == list(range(1, 31)) and not out[30:].any()
    assert ring.stats().underruns == 1 and ring.level == 0


def test_ring_overrun_drops_the_oldest() -> None:
    ring = SampleRing(100)
    ring.write(ramp(0, 80))
    ring.write(ramp(80, 50))  # 30 too many: 0..29 go
    stats = ring.stats()
    assert stats.overruns == 1 and stats.dropped_samples == 30
    assert list(ring.read(100)) == list(range(30, 130))
    ring.write(ramp(0, 250))  # larger than the ring: the newest 100 stay
    assert list(ring.read(100)) == list(range(150, 250))


def test_ring_waits_for_its_target_after_an_underrun() -> None:
    ring = SampleRing(100, target=40)
    ring.write(ramp(1, 20))
    assert not ring.read(10).any() and ring.stats().underruns == 0  # priming
    ring.write(ramp(21, 30))
    assert list(ring.read(10)) == list(range(1, 11))
    ring.read(60)  # 40 left: underrun, then priming again
    ring.write(ramp(1, 30))
    assert not ring.read(10).any() and ring.stats().underruns == 1


def test_ring_wraps_around_and_keeps_stereo_pairs() -> None:
    ring = SampleRing(10, channels=2)
    for i in range(20):
        ring.write(np.array([i, -i] * 3, dtype=np.int16))
        out = ring.read(6)
        assert list(out) == [i, -i] * 3
    ring.write(np.array([1, -1] * 4, dtype=np.int16))
    ring.write(np.array([2, -2] * 2, dtype=np.int16))  # overflow by 1 pair
    assert list(ring.read(10)) == [1, -1] * 3 + [2, -2] * 2


@pytest.mark.parametrize(("rate", "channels"), [(48_000, 1), (44_100, 2), (16_000, 1)])
def test_device_audio_becomes_room_frames_and_back(rate: int, channels: int) -> None:
    x = to_int16(tone(440, rate * 2, rate=rate, amplitude=0.4))
    device = np.repeat(x, channels)  # interleaved
    to_room = ToRoom(rate, channels)
    frames = [f for i in range(0, len(device), 1000 * channels) for f in to_room.push(
        device[i : i + 1000 * channels])]  # fmt: skip
    assert all(len(f) == 960 for f in frames) and len(frames) >= 95
    room = np.concatenate(frames)
    assert abs(peak_frequency(room[4800:]) - 440) < 2
    assert abs(rms_dbfs(room[4800:]) - rms_dbfs(x)) < 1.0  # stereo is averaged, not summed
    from_room = FromRoom(rate, channels)
    back = np.concatenate([from_room.convert(f) for f in frames[:50]])
    left = back[::channels]
    assert abs(peak_frequency(left[rate // 10 :], rate) - 440) < 3
    assert abs(rms_dbfs(left[rate // 10 :]) - rms_dbfs(x)) < 1.0  # unity gain per ear


def test_reframer_keeps_every_sample() -> None:
    r = Reframer(4)
    out = r.push(ramp(0, 6)) + r.push(ramp(6, 7))
    assert [list(f) for f in out] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]


def test_level_meter() -> None:
    meter = LevelMeter()
    meter.update(np.zeros(960, dtype=np.int16))
    assert meter.rms_dbfs == FLOOR_DBFS and meter.level == 0.0
    meter.update(to_int16(tone(1000, 960, amplitude=0.5)))
    assert abs(meter.rms_dbfs - (-9.03)) < 0.2 and abs(meter.peak_dbfs - (-6.02)) < 0.2
    for _ in range(50):  # 1 s of silence: the held peak falls 20 dB
        meter.update(np.zeros(960, dtype=np.int16))
    assert abs(meter.peak_dbfs - (-26.0)) < 0.5
    meter.update(np.full(960, 32767, dtype=np.int16))
    assert meter.clipped == 1 and meter.level > 0.999


DEVICES = [
    DeviceInfo(0, "HDA Intel PCH: ALC3246 Analog (hw:0,0)", "ALSA", 2, 2, 44_100),
    DeviceInfo(1, "USB Headset: Audio (hw:1,0)", "ALSA", 1, 2, 48_000),
    DeviceInfo(2, "HDMI 0 (hw:0,3)", "ALSA", 0, 8, 48_000),
    DeviceInfo(3, "default", "ALSA", 32, 32, 44_100),
]


def test_devices_are_chosen_by_name_or_index_else_the_default() -> None:
    assert choose_device(DEVICES, "input", "USB Headset: Audio (hw:1,0)", 3) == DEVICES[1]
    assert choose_device(DEVICES, "input", "usb headset", 3) == DEVICES[1]  # unique substring
    assert choose_device(DEVICES, "output", 2, 3) == DEVICES[2]
    assert choose_device(DEVICES, "input", "HDMI 0 (hw:0,3)", 3) == DEVICES[3]  # no inputs
    assert choose_device(DEVICES, "input", "Bluetooth", 3) == DEVICES[3]  # gone: default
    assert choose_device(DEVICES, "input", None, None) == DEVICES[0]  # no default: first
    assert find_device(DEVICES, "output", "(hw:") is None  # ambiguous
    assert choose_device(DEVICES[2:3], "input", None, None) is None  # no microphone at all


async def test_frame_channel_drops_the_oldest_and_paces_the_track() -> None:
    channel = FrameChannel(max_frames=3)
    for i in range(5):
        channel.put(np.full(960, i, dtype=np.int16))
    assert channel.overruns == 2 and len(channel) == 3
    track = ChannelTrack(channel)
    firsts = [int((await track.recv()).to_ndarray()[0, 0]) for _ in range(3)]
    assert firsts == [2, 3, 4]
    pending = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0.05)
    assert not pending.done()  # waits for the device, no timer
    channel.put(np.full(960, 7, dtype=np.int16))
    frame = await asyncio.wait_for(pending, 5)
    assert frame.pts == 3 * 960 and int(frame.to_ndarray()[0, 0]) == 7
    track.stop()


class _FakeSystem:
    """What ``Playback`` asks of PortAudio before it opens: the format it gets."""

    def __init__(self, rate: int, channels: int) -> None:
        self.format = (rate, channels)

    def pick_format(self, *_args: object) -> tuple[int, int]:
        return self.format


def _playback(rate: int, channels: int, pull: Callable[[], np.ndarray]) -> Playback:
    device = DeviceInfo(0, "test", "ALSA", 2, 2, rate)
    return Playback(_FakeSystem(rate, channels), device, lambda: pull, rate, channels)  # type: ignore[arg-type]


def test_playback_in_the_room_format_plays_each_pulled_frame_as_is() -> None:
    source = ToneSource(440)
    pulled: list[np.ndarray] = []

    def pull() -> np.ndarray:
        pulled.append(source.next_frame())
        return pulled[-1]

    def play(playback: Playback, frames: int, calls: int) -> np.ndarray:
        return np.concatenate(
            [np.frombuffer(playback.process(None, frames) or b"", np.int16) for _ in range(calls)]
        )

    playback = _playback(48_000, 1, pull)
    out = play(playback, 960, 25)
    assert len(pulled) == 25  # one pull per 20 ms callback: nothing primed, nothing held back
    out = np.concatenate([out, play(playback, 480, 50)])  # half-frame periods
    assert len(pulled) == 50  # a frame is pulled when its first half is due
    assert np.array_equal(out, np.concatenate(pulled))
    assert playback.ring.level == 0 and playback.ring.stats().underruns == 0
    play(playback, 480, 1)  # half of frame 50 played, half held
    # A device period that does not divide a frame goes through the ring, gaplessly.
    more = play(playback, 441, 100)
    assert np.array_equal(more[:480], pulled[50][480:]) and np.array_equal(
        more[480:1440], pulled[51]
    )
    assert abs(peak_frequency(more) - 440) < 2 and playback.ring.stats().underruns == 0


def test_playback_at_another_rate_is_resampled_through_the_ring() -> None:
    source = ToneSource(440)
    playback = _playback(44_100, 2, source.next_frame)
    out = np.concatenate(
        [np.frombuffer(playback.process(None, 882) or b"", dtype=np.int16) for _ in range(100)]
    )
    left = out[::2]
    assert np.array_equal(left, out[1::2])  # unity gain in both ears
    assert abs(peak_frequency(left[4410:], 44_100) - 440) < 3
    assert playback.ring.stats().underruns == 0


def test_one_device_period_of_one_frame_passes_straight_through() -> None:
    r = Reframer(4)
    chunk = ramp(0, 4)
    (frame,) = r.push(chunk)
    assert frame is chunk  # no copy
    out = r.push(ramp(4, 3)) + r.push(ramp(7, 4)) + r.push(ramp(11, 5))
    assert [list(f) for f in out] == [[4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]]


@pytest.mark.parametrize(("rate", "channels", "period"), [(48_000, 1, 480), (44_100, 2, 441)])
def test_a_half_frame_from_the_playout_moves_the_pull_sooner_gaplessly(
    rate: int, channels: int, period: int
) -> None:
    # OpusPlayout.next_device_frame returns 10 ms once when it moves the
    # device's phase: the device must play it whole, then pull the next frame
    # a period sooner, with nothing dropped or repeated.
    frames = [np.full(960, n + 1, dtype=np.int16) for n in range(60)]
    frames[10] = frames[10][:480]
    pulls: list[int] = []

    def pull() -> np.ndarray:
        pulls.append(len(pulls))
        return frames[len(pulls) - 1]

    playback = _playback(rate, channels, pull)
    out = np.concatenate(
        [np.frombuffer(playback.process(None, period) or b"", np.int16) for _ in range(100)]
    )
    mono = out[::channels]
    if rate == 48_000:
        expected = np.concatenate(frames)[: len(mono)]
        assert np.array_equal(mono, expected)
        assert len(pulls) == 51  # 100 periods of 10 ms: 50 frames, plus the short one
    else:  # resampled: every value appears, in order, for about as long as it lasted
        values = [int(v) for v in dict.fromkeys(mono.tolist()) if v]
        assert values == list(range(1, len(values) + 1))
        assert abs(int(np.sum(mono == 11)) - 441) <= 30  # 10 ms at 44.1 kHz
        assert abs(int(np.sum(mono == 12)) - 882) <= 30  # a whole frame
    assert playback.ring.stats().underruns == 0
