"""The kernel floor beside the signaling benchmark: real sockets, real writes."""

import math

from app.bench.tcp_floor import measure


def test_the_floor_writes_to_every_connection_and_reports_cpu_per_write() -> None:
    floor = measure(50, seconds=0.5, rate=500)
    assert floor.connections == 50
    for figure in (floor.burst_us, floor.single_us):
        assert math.isfinite(figure) and 0 < figure < 10_000
