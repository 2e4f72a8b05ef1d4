"""`panggung-bench voice`: voice quality on real signals (espeak-ng speech).

- Echo: a simulated laptop (``app.dsp.scenes.echo_scene``) at 20, 60 and
  100 ms of echo delay through the speaker's processing (WebRTC APM, all
  features on, the delay hint fixed at what PortAudio reports): ERLE on the
  far-end-only stretches after convergence, and how well the near end
  survives double talk (its windowed correlation where it talks alone after).
- Noise: fan-like stationary noise at 5 dB SNR: SNR gain and the speech kept.
- Processing cost: CPU per 10 ms and the delay the processing adds.
- Loss: a speaker, a room (``RoomMedia``) and a listener on 127.0.0.1, the
  speaker's RTP through ``UdpRelay`` (random loss with jitter, and bursts),
  with the speaker's FEC on and off: the listener's audio against what was
  said, and its longest gap.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.audio.apm import CHUNK, VoiceProcessor, run_through
from app.audio.processing import OFF, ProcessingSettings
from app.bench.relay import Impairment, RelayStats, UdpRelay
from app.bench.speech import far_speech, near_speech
from app.dsp import FRAME_SAMPLES, SAMPLE_RATE
from app.dsp.analysis import normalized_xcorr
from app.dsp.quality import erle_db, longest_gap_ms, similarity, snr_db, speech_windows_db
from app.dsp.scenes import echo_scene, noise_scene
from app.media.client.peer import ClientPeer
from app.media.client.tracks import PcmSourceTrack, Recorder
from app.media.ice import LOOPBACK_ONLY
from app.media.server.room import RoomMedia

DEVICE_DELAY_MS = 40.0  # PortAudio's reported latency here: 20 ms each way
RANDOM_LOSS = Impairment(loss=0.05, delay_ms=20.0, jitter_ms=20.0)
BURST_LOSS = Impairment(loss=0.20, burst=3.0, delay_ms=20.0, jitter_ms=20.0)


# -- processing ---------------------------------------------------------------


@dataclass
class EchoResult:
    delay_ms: float
    erle_db: float
    near_after: float  # median windowed correlation, near end alone after double talk
    near_after_mean: float
    near_after_raw: float  # the same against the raw original (see docs/audio.md)
    double_talk: float  # the near end during double talk (for the record)


def linear_reference(pcm: NDArray[np.int16]) -> NDArray[np.int16]:
    """``pcm`` through the processor's fixed linear front end alone (high-pass
    and band split): the reference for how much of a voice survives."""
    return run_through(VoiceProcessor(OFF), pcm)


def echo_run(delay_ms: float, settings: ProcessingSettings | None = None) -> EchoResult:
    scene = echo_scene(far_speech(), near_speech(), delay_ms)
    processor = VoiceProcessor(settings or ProcessingSettings(), delay_ms=DEVICE_DELAY_MS)
    out = run_through(processor, scene.mic, scene.far)
    n = len(out)
    far_only = scene.far_only[:n]
    reference = linear_reference(scene.near)
    after, both = scene.near_after, scene.double_talk
    tail = CHUNK * 10
    near = similarity(reference[after], out[after.start : after.stop + tail])
    raw = similarity(scene.near[after], out[after.start : after.stop + tail])
    during = similarity(reference[both], out[both.start : both.stop + tail])
    return EchoResult(
        delay_ms,
        round(erle_db(scene.mic[:n][far_only], out[far_only]), 1),
        round(near.median, 3),
        round(near.mean, 3),
        round(raw.median, 3),
        round(during.median, 3),
    )


@dataclass
class NoiseResult:
    talker: str
    seed: int
    snr_in_db: float
    snr_out_db: float
    speech: float  # median windowed correlation with the clean speech (linear reference)
    speech_mean: float  # the target's figure: windows where the talker speaks (P.56)
    speech_mean_fullscale: float  # the same over every window above -40 dBFS (the old measure)
    speech_raw: float  # against the raw original
    noisy_input: float  # the unprocessed noisy microphone, same measure


TALKERS = {"near": near_speech, "far": far_speech}


def noise_run(
    settings: ProcessingSettings | None = None, talker: str = "near", seed: int = 16
) -> NoiseResult:
    scene = noise_scene(TALKERS[talker](), snr_db=5.0, seed=seed)
    out = run_through(VoiceProcessor(settings or ProcessingSettings()), scene.mic)
    n = len(out)
    speech, noise = scene.speech_mask[:n], scene.noise_mask[:n]
    reference = linear_reference(scene.speech)
    talking = speech_windows_db(reference)
    kept = similarity(reference, out, active_db=talking)
    return NoiseResult(
        talker,
        seed,
        round(snr_db(scene.mic[:n], speech, noise), 1),
        round(snr_db(out, speech, noise), 1),
        round(kept.median, 3),
        round(kept.mean, 3),
        round(similarity(reference, out).mean, 3),
        round(similarity(scene.speech, out, active_db=talking).median, 3),
        round(similarity(reference, linear_reference(scene.mic), active_db=talking).mean, 3),
    )


@dataclass
class CostResult:
    cpu_us_per_10ms: float  # capture + echo reference, all features on
    cpu_percent: float  # of one core, in real time
    added_latency_ms: float  # the processed voice's lag behind the raw one
    latency_by_feature: dict[str, float] = field(default_factory=dict)  # each alone, ms


LATENCY_FEATURES = {
    "filter bank (high-pass, band split) only": OFF,
    "+ echo canceller (AEC3)": ProcessingSettings(True, False, False),
    "+ noise suppressor": ProcessingSettings(False, True, False),
    "+ gain control": ProcessingSettings(False, False, True),
}


def added_latency_ms(settings: ProcessingSettings, speech: NDArray[np.int16]) -> float:
    """Lag of ``speech`` processed in 10 ms periods behind itself (no echo)."""
    clean = run_through(VoiceProcessor(settings), speech)
    lag, _ = normalized_xcorr(speech[: len(clean)], clean)
    return round(lag / SAMPLE_RATE * 1e3, 2)


def cost_run(seconds: float = 20.0) -> CostResult:
    speech = np.tile(near_speech(), int(seconds * SAMPLE_RATE / len(near_speech())) + 1)
    speech = speech[: int(seconds * SAMPLE_RATE)]
    processor = VoiceProcessor(ProcessingSettings(), delay_ms=DEVICE_DELAY_MS)
    start = time.thread_time()
    out = run_through(processor, speech, speech[::-1].copy())  # some far end to cancel
    used = time.thread_time() - start
    chunks = len(speech) // CHUNK
    del out
    part = speech[: SAMPLE_RATE * 6]
    return CostResult(
        round(used / chunks * 1e6, 1),
        round(used / (chunks * CHUNK / SAMPLE_RATE) * 100, 2),
        added_latency_ms(ProcessingSettings(), part),
        {name: added_latency_ms(s, part) for name, s in LATENCY_FEATURES.items()},
    )


# -- loss -----------------------------------------------------------------------


class SpeechSource:
    """Silence until ``arm()``, then ``speech`` once, then silence again."""

    def __init__(self, speech: NDArray[np.int16]) -> None:
        pad = -len(speech) % FRAME_SAMPLES
        self.speech = np.concatenate([speech, np.zeros(pad, dtype=np.int16)])
        self._pos: int | None = None

    def arm(self) -> None:
        self._pos = 0

    @property
    def done(self) -> bool:
        return self._pos is not None and self._pos >= len(self.speech)

    def next_frame(self) -> NDArray[np.int16]:
        if self._pos is None or self.done:
            return np.zeros(FRAME_SAMPLES, dtype=np.int16)
        frame = self.speech[self._pos : self._pos + FRAME_SAMPLES]
        self._pos += FRAME_SAMPLES
        return frame


@dataclass
class LossResult:
    impairment: str
    fec: bool
    similarity: float  # median windowed correlation of what the listener heard
    similarity_mean: float
    worst_window: float
    longest_gap_ms: float
    mixer_skipped: int  # ticks the server's mixer skipped (a stalled machine, not the network)
    relay: dict[str, int] = field(default_factory=dict)
    server_input: dict[str, float] = field(default_factory=dict)  # the speaker's playout
    listener: dict[str, float] = field(default_factory=dict)


async def loss_run(
    impairment: Impairment,
    fec: bool = True,
    speech: NDArray[np.int16] | None = None,
    warmup: float = 2.0,
    timeout: float = 120.0,
) -> LossResult:
    """One speaker, one listener; the speaker's RTP through the impairing relay."""
    said = speech if speech is not None else np.concatenate([near_speech(), far_speech()])
    settings = LOOPBACK_ONLY
    room = RoomMedia(settings)
    room.start()
    relay = UdpRelay(impairment)
    await relay.start()
    source = SpeechSource(said)
    speaker = ClientPeer(settings, PcmSourceTrack(source.next_frame), fec=fec)
    listener = ClientPeer(settings)
    recorder: Recorder | None = None

    async def through_relay(offer: str) -> str:
        return relay.rewrite_answer(await room.join("speaker", relay.rewrite_offer(offer)))

    try:
        async with asyncio.timeout(timeout):
            await speaker.connect(through_relay)
            await listener.connect(partial(room.join, "listener"))
            await room.ready("speaker")
            await room.ready("listener")
            room.set_on_stage("speaker", True)
            recorder = Recorder(await listener.remote_track())
            recorder.start()
            await asyncio.sleep(warmup)  # silence flows: the buffers learn the jitter
            recorder.clear()
            skipped = room.ticker.skipped
            source.arm()
            while not source.done:  # noqa: ASYNC110 - aiortc's sender drives the source
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.6)
        heard = recorder.samples()
        server = room.input_stats("speaker")
        heard_stats = listener.playout_stats()
        skipped = room.ticker.skipped - skipped
    finally:
        if recorder is not None:
            await recorder.stop()
        await speaker.close()
        await listener.close()
        await room.stop()
        relay.close()
    found = similarity(source.speech, heard)
    return LossResult(
        impairment.describe(),
        fec,
        round(found.median, 3),
        round(found.mean, 3),
        round(found.worst, 3),
        longest_gap_ms(source.speech, heard, found),
        skipped,
        relay=_relay_dict(relay.stats),
        server_input=_some(server.as_dict() if server else {}),
        listener=_some(heard_stats.as_dict() if heard_stats else {}),
    )


def _relay_dict(stats: RelayStats) -> dict[str, int]:
    return {k: int(v) for k, v in asdict(stats).items()}


def _some(stats: dict[str, float]) -> dict[str, float]:
    keep = ("received", "lost", "late", "concealed", "recovered", "underruns", "target_delay_ms")
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in stats.items() if k in keep}


# -- the whole benchmark -------------------------------------------------------


@dataclass
class VoiceResult:
    echo: list[EchoResult]
    noise: list[NoiseResult]
    cost: CostResult
    loss: list[LossResult]


async def run(loss_repeats: int = 1) -> VoiceResult:
    echo = [echo_run(d) for d in (20.0, 60.0, 100.0)]
    noise = [noise_run(talker=t, seed=k) for t in TALKERS for k in (16, 17, 18)]
    cost = cost_run()
    loss: list[LossResult] = []
    for impairment in (RANDOM_LOSS, BURST_LOSS):
        for fec in (True, False):
            for k in range(loss_repeats):
                seeded = Impairment(**{**asdict(impairment), "seed": impairment.seed + k})
                loss.append(await loss_run(seeded, fec))
    return VoiceResult(echo, noise, cost, loss)


def markdown(result: VoiceResult) -> str:
    lines = [
        "",
        "Echo (simulated laptop, all processing on, delay hint 40 ms; targets: ERLE >= 25 dB,",
        "near end after double talk >= 0.9; correlations are medians of 250 ms windows",
        "against the clean original through the processor's linear front end):",
        "",
        "| echo delay | ERLE (far end alone) | near end after double talk (median / mean) "
        "| same, raw original | near end during double talk |",
        "|---:|---:|---:|---:|---:|",
    ]
    for e in result.echo:
        lines.append(
            f"| {e.delay_ms:.0f} ms | {e.erle_db:.1f} dB | {e.near_after:.3f} / "
            f"{e.near_after_mean:.3f} | {e.near_after_raw:.3f} | {e.double_talk:.3f} |"
        )
    lines += [
        "",
        "Noise (fan-like, stationary, 5 dB SNR, two talkers, three noise seeds; targets: "
        "SNR +10 dB, speech >= 0.9). Speech kept: the processed voice against the clean "
        "one through the linear front end, 250 ms windows where the talker speaks (within "
        "P.56's 15.9 dB of their active speech level); the mean is the figure "
        "for the target, the old measure (every window above -40 dBFS) beside it:",
        "",
        "| talker, seed | SNR in | SNR out | gain | speech kept (median / **mean**) "
        "| old measure (mean) | raw original (median) | noisy input, unprocessed (mean) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in result.noise:
        lines.append(
            f"| {n.talker}, {n.seed} | {n.snr_in_db:.1f} dB | {n.snr_out_db:.1f} dB | "
            f"{n.snr_out_db - n.snr_in_db:+.1f} dB | {n.speech:.3f} / **{n.speech_mean:.3f}** "
            f"| {n.speech_mean_fullscale:.3f} | {n.speech_raw:.3f} | {n.noisy_input:.3f} |"
        )
    c = result.cost
    stages = "; ".join(f"{k} {v:.2f} ms" for k, v in c.latency_by_feature.items())
    lines += [
        "",
        "Processing cost (one thread, all features on; targets: client <= 5 % of a core "
        "with devices, see the devices section; added latency <= 10 ms):",
        "",
        f"- CPU: {c.cpu_us_per_10ms:.0f} µs per 10 ms = {c.cpu_percent:.2f} % of a core",
        f"- Added latency (processed voice behind the raw one, 10 ms periods in and out): "
        f"{c.added_latency_ms:.2f} ms; each feature alone: {stages}",
        "",
        "Loss between speaker and server (UDP relay; targets at 5 %: >= 0.9, no gap > 60 ms):",
        "",
        "| conditions | FEC | heard (median / mean / worst window) | longest gap "
        "| lost at relay | server: lost / late / rebuilt (FEC) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in result.loss:
        sent = r.relay.get("rtp", 0)
        dropped = r.relay.get("dropped", 0)
        s = r.server_input
        lines.append(
            f"| {r.impairment} | {'on' if r.fec else 'off'} | {r.similarity:.3f} / "
            f"{r.similarity_mean:.3f} / {r.worst_window:.3f} | {r.longest_gap_ms:.0f} ms | "
            f"{dropped}/{sent} | {s.get('lost', 0)} / {s.get('late', 0)} / "
            f"{s.get('recovered', 0) if r.fec else '-'} |"
        )
    return "\n".join(lines) + "\n"


def summary(result: VoiceResult) -> dict[str, Any]:
    return asdict(result)
