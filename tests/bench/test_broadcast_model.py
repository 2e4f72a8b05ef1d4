"""The capacity model's arithmetic, on figures set by hand."""

from app.bench.broadcast_model import Measured, markdown, plan

FIGURES = Measured(
    webrtc_cpu_s=0.001,  # 1 ms per listener-second
    webrtc_bytes=10_000.0,
    signaling_cpu_s=0.0001,
    nginx_cpu_s=0.0002,
    hls_bytes=9_000.0,
    origin_cpu_s=0.2,
    origin_per_edge_s=0.001,
)


def test_each_tier_takes_the_processes_its_tighter_limit_needs() -> None:
    p = plan(FIGURES, 20_000, 80_000)
    # 20,000 x 1.1 ms = 22 cores busy, at 70 %: 32 edge processes (descriptors: 3).
    assert p.edge_processes == 32 and p.bound["edges"] == "CPU"
    # 80,000 x 0.1 ms = 8 cores, 12 by CPU; by descriptors 80,000 / 19,000: 5.
    assert p.signaling_processes == 12 and p.bound["signaling"] == "CPU"
    # nginx: 80,000 x 0.2 ms = 16 cores, 23 workers; 3 cache nodes of 8.
    assert p.nginx_workers == 23 and p.caches == 3
    assert abs(p.origin_cores - (0.2 + 32 * 0.001)) < 1e-9
    assert p.cores == 32 + 12 + 23 + 1 and p.nodes == 9
    assert abs(p.egress_gbps - (20_000 * 10_000 + 80_000 * 9_000) * 8 / 1e9) < 1e-9


def test_descriptors_bind_when_a_listener_costs_little() -> None:
    cheap = Measured(1e-6, 1.0, 1e-7, 1e-7, 1.0, 0.1, -0.01)
    p = plan(cheap, 100_000, 900_000)
    assert p.edge_processes == 11 and p.bound["edges"] == "descriptors"  # 100,000 / 9,500
    assert p.nginx_workers == 48 and p.bound["nginx"] == "descriptors"  # 900,000 / 19,000
    assert p.origin_cores == 0.1  # a per-edge cost below zero (noise) counts as none
    assert "measured below zero" in markdown(cheap)
