"""Small runs of the fan-out benchmark on both servers, and its counting rules."""

import struct
from pathlib import Path

import pytest

from app.bench import fanout, janus_report, report
from app.bench.janus_server import janus_binary
from app.media.client.light import LATE_AFTER_MS, CountingListener
from app.media.ice import LOOPBACK_ONLY


def _rtp(seq: int, ts: int) -> bytes:
    return struct.pack("!BBHII", 0x80, 111, seq & 0xFFFF, ts & 0xFFFFFFFF, 1) + b"\x00" * 20


async def test_loss_and_late_come_from_rtp_sequence_and_timestamps() -> None:
    listener = CountingListener(LOOPBACK_ONLY)
    try:
        # Across the 16-bit wrap, 65535 missing; the last one arrives late.
        arrivals = [(65533, 0), (65534, 20), (0, 60), (1, 80 + LATE_AFTER_MS + 5)]
        for seq, at in arrivals:
            ts = (seq - 65533) % 65536 * 960 + 2**32 - 960  # timestamps wrap too
            await listener.count(_rtp(seq, ts), at)
        assert (listener.packets, listener.expected, listener.late) == (4, 5, 1)
        listener.reset()
        assert (listener.packets, listener.expected, listener.late) == (0, 0, 0)
    finally:
        await listener.close()


def _check(result: fanout.FanoutResult, listeners: int, seconds: float) -> None:
    assert result.live == listeners, result
    assert result.min_listener_packets > 0, result  # every listener received packets
    # 50 packets/s for each listener; generous bounds for a loaded machine.
    assert listeners * 50 * seconds * 0.5 <= result.expected <= listeners * 50 * (seconds + 1)
    assert 0 < result.received <= result.expected + listeners
    assert result.loss_percent == pytest.approx(100 * (1 - result.received / result.expected))
    # The server sent every listener its packets: 50/s over the CPU window.
    assert listeners * 50 * seconds * 0.5 <= result.deliveries <= listeners * 50 * (seconds + 1)
    assert result.rejected == 0
    assert result.cpu_us_per_packet > 0
    assert result.listeners_per_core == pytest.approx(1e6 / (50 * result.cpu_us_per_packet))


@pytest.mark.timeout(180)
async def test_panggung_fanout_smoke() -> None:
    result = await fanout.run("panggung", listeners=5, procs=1, seconds=2.0, warmup=0.5)
    _check(result, 5, 2.0)


@pytest.mark.timeout(180)
async def test_janus_fanout_smoke() -> None:
    if janus_binary() is None:
        pytest.fail(
            "janus is not installed: the fan-out benchmark compares against Janus "
            "Streaming (Debian package janus; `make setup` installs it)",
            pytrace=False,
        )
    result = await fanout.run("janus", listeners=5, procs=1, seconds=2.0, warmup=0.5)
    _check(result, 5, 2.0)


def _result(system: str, n: int, us: float) -> fanout.FanoutResult:
    return fanout.FanoutResult(
        system=system,
        listeners=n,
        live=n,
        seconds=10,
        deliveries=n * 500,
        sent=n * 500,
        received=n * 500,
        rejected=0,
        expected=n * 500,
        late=0,
        min_listener_packets=500,
        loss_percent=0.0,
        server_cpu_seconds=us * n * 500 / 1e6,
        cpu_us_per_packet=us,
        listeners_per_core=1e6 / (50 * us),
        load_average=1.0,
    )


def test_report_gives_ratio_and_targets(tmp_path: Path) -> None:
    results = [_result("panggung", 200, 10.0), _result("janus", 200, 30.0)]
    assert janus_report.ratios(results) == {200: pytest.approx(3.0)}
    text = janus_report.markdown(results)
    assert "| 200 | 3.00 |" in text and "2,000" in text
    assert "ratio to Janus >= 3.0: 3.00, met" in text
    assert "| 200 | panggung | 10.0 | 2,000 | 0.000 | 0 | 200/200 | - |" in text
    target = tmp_path / "benchmarks.md"
    report.write_section(target, "fanout", text)
    assert target.read_text().count("<!-- bench:fanout -->") == 1


def test_report_shows_listeners_that_died_and_the_ceiling_of_the_batch() -> None:
    ours = _result("panggung", 200, 10.0)
    ours.floor_protect_send_us = 5.0
    ours.notes = {"listeners_connected_at_end": 150}
    text = janus_report.markdown([ours, _result("janus", 200, 30.0)])
    assert "| 200/200 | 150/200 |" in text  # live before the window, connected at its end
    assert janus_report.ceiling(ours, _result("janus", 200, 30.0)) == pytest.approx(6.0)
    assert text.rstrip().count("| 10.0 | 6.00 |") == 1  # server process, then the ceiling
