"""The plain parts: ring buffer, format conversion, level meter, preferences, frame channel."""

import asyncio
from pathlib import Path

import numpy as np
import pytest

from app.audio.convert import FromRoom, Reframer, ToRoom
from app.audio.meter import FLOOR_DBFS, LevelMeter
from app.audio.prefs import DeviceInfo, DevicePreferences, choose_device, find_device
from app.audio.ring import SampleRing
from app.dsp.analysis import peak_frequency, rms_dbfs
from app.dsp.signals import to_int16, tone
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


def test_preferences_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "devices.json"
    assert DevicePreferences.load(path) == DevicePreferences()
    DevicePreferences(input="USB Headset: Audio (hw:1,0)", output=None).save(path)
    assert DevicePreferences.load(path).input == "USB Headset: Audio (hw:1,0)"
    path.write_text("{not json")
    assert DevicePreferences.load(path) == DevicePreferences()
    path.write_text('{"input": 3}')
    assert DevicePreferences.load(path) == DevicePreferences()


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
