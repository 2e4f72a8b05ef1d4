"""Loss and jitter between a speaker and the server, through a UDP relay on
127.0.0.1 (this kernel has no netem): what the listener hears of espeak-ng
speech. A run in which the machine, not the network, lost audio — the
server's mixer clock stalled, or the test's own listener ran dry because its
process did not get the CPU in time (never on a quiet machine) — is measured
again, up to three times."""

import numpy as np

from app.bench.relay import Impairment, LossModel, is_rtp
from app.bench.speech import near_speech
from app.bench.voice import BURST_LOSS, RANDOM_LOSS, LossResult, loss_run


async def measured(impairment: Impairment, fec: bool = True) -> LossResult:
    runs = []
    for attempt in range(3):
        seeded = Impairment(**{**impairment.__dict__, "seed": impairment.seed + attempt})
        result = await loss_run(seeded, fec, speech=near_speech())
        print(result)
        runs.append(result)
        if machine_lost(result) == 0:
            break
    return min(runs, key=machine_lost)


def machine_lost(result: LossResult) -> int:
    return result.mixer_skipped + int(result.listener.get("underruns", 0))


async def test_five_percent_loss_and_jitter_are_not_heard_with_fec() -> None:
    result = await measured(RANDOM_LOSS)
    assert result.relay["dropped"] > 5  # the relay really lost packets...
    assert result.server_input["lost"] > 5  # ...and the server saw them missing
    assert result.server_input["recovered"] > 0  # rebuilt from the next packet's FEC
    assert result.similarity_mean >= 0.9
    assert result.longest_gap_ms <= 60.0


async def test_burst_loss_is_impaired_but_continuous() -> None:
    result = await measured(BURST_LOSS)
    assert result.relay["dropped"] > 0.12 * result.relay["rtp"]
    assert result.similarity > 0.5  # the speech still gets through, if damaged
    assert result.longest_gap_ms < 250.0  # concealment bridges the bursts


def test_the_loss_models_lose_what_they_say() -> None:
    import random

    for loss, burst in ((0.05, 1.0), (0.2, 3.0)):
        model = LossModel(loss, burst, random.Random(1))
        lost = np.array([model.lost() for _ in range(100_000)])
        runs = np.diff(np.flatnonzero(np.diff(np.concatenate(([0], lost, [0])))))[::2]
        assert abs(lost.mean() - loss) < 0.01
        assert abs(runs.mean() - burst) < 0.15


def test_only_rtp_is_impaired() -> None:
    rtp = bytes([0x80, 111]) + bytes(10)
    rtcp = bytes([0x80, 200]) + bytes(10)
    stun = bytes([0x00, 0x01]) + bytes(18)
    dtls = bytes([22, 0xFE]) + bytes(20)
    assert is_rtp(rtp) and not is_rtp(rtcp) and not is_rtp(stun) and not is_rtp(dtls)
