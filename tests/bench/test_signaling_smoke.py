"""A small run of the signaling benchmark, so that its code keeps working:
real server, real load processes, every figure filled in."""

import dataclasses
import math
from pathlib import Path

from app.bench import report, signaling


async def test_a_small_audience_joins_reacts_and_is_paged(tmp_path: Path) -> None:
    results = await signaling.run([40, 90], join_rate=None)
    assert [r.listeners for r in results] == [40, 90]
    for r in results:
        assert r.joined == r.returned == r.listeners and r.paged == r.listeners
        assert r.processes == 1 and r.stage_requests > 0
        # CPU time ticks in 10 ms: a small storm may not reach one tick.
        assert r.cpu_per_join_us >= 0 and r.rss_per_listener_kb == r.rss_per_listener_kb
        # Counted, not announced: a handful of summaries, not a frame per join.
        assert r.join_frames_per_listener_s <= 2.5
        assert r.reaction_frames_per_listener_s > 0  # the burst arrived
        assert not math.isnan(r.join_p99_ms)
        # Timed inside the server too: every admitted join, and the stage's requests.
        assert r.server_first["n"] == r.server_return["n"] == r.listeners
        assert r.server_stage["n"] == r.stage_requests
        # The lag timer fires every 0.1 s: a 40-listener storm can be over sooner.
        assert r.first_lag["n"] + r.return_lag["n"] > 0
        # The meter ran in both storms; its CPU ticks are 10 ms, so one small
        # storm may read 0, but not every storm of the run.
        assert set(r.first_cores) == set(r.return_cores) == {"server", "load", "bench", "machine"}
        assert min(r.first_cores.values()) >= 0 and min(r.return_cores.values()) >= 0
    assert sum(r.first_cores["server"] + r.return_cores["server"] for r in results) > 0
    # On uvloop by default (installed here), the load processes too; their own
    # loop lag and the stage's clients' are sampled beside the server's.
    assert {r.loop for r in results} == {"uvloop"}
    assert sum(r.load_first_lag.get("n", 0) + r.load_return_lag.get("n", 0) for r in results) > 0
    assert sum(r.bench_return_lag.get("n", 0) for r in results) > 0
    # An A/B of two loops in one run: each row names its loop, and the ratios are computed.
    other = dataclasses.replace(results[0], loop="asyncio", cpu_per_join_us=1.0)
    base = dataclasses.replace(results[0], cpu_per_join_us=2.0)
    ab = signaling.markdown([other, base])
    assert "| 40 asyncio (" in ab and "| 40 uvloop (" in ab
    assert "At 40: uvloop against asyncio (computed, same run): server CPU per join 2.00x" in ab
    text = signaling.markdown(results)
    target = tmp_path / "benchmarks.md"
    target.write_text("# Benchmarks\n\nkept\n")
    report.write_section(target, "signaling", text)
    report.write_section(target, "signaling", text)  # replaced, not appended twice
    written = target.read_text()
    assert written.count("<!-- bench:signaling -->") == 1 and "kept" in written
    assert "| 90 |" in written
