"""`panggung-bench voice` on a short run: each part measures, the report renders."""

from app.bench import voice
from app.bench.main import parse_args
from app.bench.relay import Impairment
from app.bench.speech import near_speech


async def test_a_short_voice_benchmark_reports_every_part() -> None:
    assert parse_args(["voice", "--repeats", "2"]).repeats == 2
    short = near_speech()[: 48_000 * 2]
    result = voice.VoiceResult(
        echo=[voice.echo_run(60.0)],
        noise=[voice.noise_run(talker="far", seed=17)],
        cost=voice.cost_run(seconds=2.0),
        loss=[await voice.loss_run(Impairment(loss=0.05, seed=3), True, speech=short)],
    )
    assert result.echo[0].erle_db > 25.0
    assert 0.0 < result.cost.cpu_us_per_10ms < 10_000.0
    assert result.noise[0].speech_mean >= 0.9 > result.noise[0].speech_mean_fullscale
    # Each feature alone (the filter bank in each), and all together about
    # their sum with the filter bank once: no buffering of ours in between.
    stages = list(result.cost.latency_by_feature.values())
    bank = stages[0]
    assert abs(result.cost.added_latency_ms - (sum(stages) - 3 * bank)) < 0.5
    assert result.loss[0].relay["rtp"] > 50
    text = voice.markdown(result)
    assert "| 60 ms |" in text and "| far, 17 |" in text and "| on |" in text
