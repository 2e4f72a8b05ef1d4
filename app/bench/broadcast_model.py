"""The broadcast tier's capacity model: nodes, cores and bandwidth for a room
of N listeners, computed from the benchmark's measured figures.

Nothing here is measured: `Measured` holds the benchmark's figures, and
`plan` applies them with the assumptions below (named, so the report can
state them next to the numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Assumptions (not measured):
BUSY = 0.7  # a server process (one asyncio loop, so one core) is planned at 70 % busy
CORES_PER_NODE = 8  # one server process or nginx worker per core
# Descriptors per process: this machine's hard limit is 20,000
# (/work/shared/notes/scale-testing.md); the plan keeps a margin under it.
CONNECTIONS_PER_PROCESS = 19_000
DESCRIPTORS_PER_WEBRTC = 2  # its WebSocket and its UDP socket, on the same edge


@dataclass
class Measured:
    """Per listener-second, from the benchmark's phases (measured differences)."""

    webrtc_cpu_s: float  # an edge's CPU per WebRTC listener
    webrtc_bytes: float  # bytes on the wire to a WebRTC listener
    signaling_cpu_s: float  # a node's CPU per signaling-only listener (summaries, pings)
    nginx_cpu_s: float  # nginx's CPU per HLS client (playlist each second, each segment)
    hls_bytes: float  # bytes to an HLS client
    origin_cpu_s: float  # the origin's CPU per second: speaker, mix, Opus, AAC, one cache
    origin_per_edge_s: float  # the origin's extra CPU per second for each edge


@dataclass
class Plan:
    webrtc: int
    hls: int
    edge_processes: int
    signaling_processes: int
    nginx_workers: int
    origin_cores: float
    cores: int
    nodes: int
    caches: int  # cache nodes: the origin's fetches per segment without a shield tier
    egress_gbps: float  # to listeners
    origin_egress_mbps: float  # to the edges and the caches
    bound: dict[str, str]  # tier -> what limits its processes (CPU or descriptors)


def _processes(count: int, cpu_s: float, per_process: int) -> tuple[int, str]:
    by_cpu = math.ceil(count * cpu_s / BUSY) if count else 0
    by_fds = math.ceil(count / per_process) if count else 0
    return max(by_cpu, by_fds), ("CPU" if by_cpu >= by_fds else "descriptors")


def plan(m: Measured, webrtc: int, hls: int) -> Plan:
    # A WebRTC listener's signaling is on its edge, beside its media.
    edges, edge_bound = _processes(
        webrtc,
        m.webrtc_cpu_s + m.signaling_cpu_s,
        CONNECTIONS_PER_PROCESS // DESCRIPTORS_PER_WEBRTC,
    )
    # An HLS listener keeps a signaling connection (hands, reactions, the stage).
    signaling, signaling_bound = _processes(hls, m.signaling_cpu_s, CONNECTIONS_PER_PROCESS)
    workers, nginx_bound = _processes(hls, m.nginx_cpu_s, CONNECTIONS_PER_PROCESS)
    caches = math.ceil(workers / CORES_PER_NODE)
    origin = m.origin_cpu_s + max(0.0, m.origin_per_edge_s) * edges
    cores = edges + signaling + workers + math.ceil(origin)
    stream = m.webrtc_bytes  # the relay carries one listener's stream per edge
    return Plan(
        webrtc=webrtc,
        hls=hls,
        edge_processes=edges,
        signaling_processes=signaling,
        nginx_workers=workers,
        origin_cores=origin,
        cores=cores,
        nodes=math.ceil(cores / CORES_PER_NODE),
        caches=caches,
        egress_gbps=(webrtc * m.webrtc_bytes + hls * m.hls_bytes) * 8 / 1e9,
        origin_egress_mbps=(edges * stream + caches * m.hls_bytes) * 8 / 1e6,
        bound={"edges": edge_bound, "signaling": signaling_bound, "nginx": nginx_bound},
    )


SCENARIOS = ((20_000, 80_000), (100_000, 900_000))


def markdown(m: Measured) -> str:
    lines = [
        "| listeners (WebRTC + HLS) | edge processes | signaling processes (HLS "
        "listeners' WebSockets) | nginx workers (cache nodes) | origin cores | cores in all "
        f"| nodes of {CORES_PER_NODE} cores | egress to listeners | origin egress |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for webrtc, hls in SCENARIOS:
        p = plan(m, webrtc, hls)
        lines.append(
            f"| {webrtc + hls:,} ({webrtc:,} + {hls:,}) | {p.edge_processes:,} "
            f"({p.bound['edges']}) | {p.signaling_processes:,} ({p.bound['signaling']}) | "
            f"{p.nginx_workers:,} ({p.caches:,}; {p.bound['nginx']}) | {p.origin_cores:.2f} | "
            f"{p.cores:,} | {p.nodes:,} | {p.egress_gbps:.2f} Gbit/s | "
            f"{p.origin_egress_mbps:.1f} Mbit/s |"
        )
    lines += [
        "",
        "Computed, not measured. Inputs (measured in this run, per listener-second): "
        f"an edge's CPU per WebRTC listener {m.webrtc_cpu_s * 1e3:.3f} ms, "
        f"{m.webrtc_bytes / 1e3:.2f} kB on the wire; a node's CPU per signaling-only "
        f"listener {m.signaling_cpu_s * 1e3:.3f} ms; nginx's CPU per HLS client "
        f"{m.nginx_cpu_s * 1e3:.3f} ms, {m.hls_bytes / 1e3:.2f} kB; the origin "
        f"{m.origin_cpu_s * 100:.1f} % of a core with its speaker, the HLS writer and a "
        f"cache, plus {max(0.0, m.origin_per_edge_s) * 1e3:.2f} ms a second per edge"
        + (" (measured below zero: the noise; taken as 0)" if m.origin_per_edge_s < 0 else "")
        + ".",
        f"Assumed: a server process or nginx worker is one core planned at {BUSY:.0%} busy; "
        f"{CONNECTIONS_PER_PROCESS:,} connections per process (this machine's hard limit is "
        f"20,000 descriptors), a WebRTC listener taking {DESCRIPTORS_PER_WEBRTC} (WebSocket and "
        "UDP) on its edge; every HLS listener also holds a signaling WebSocket on a node; "
        "each cache node fetches from the origin itself (so the origin's fetches per "
        "segment are the number of cache nodes; a shield tier or CDN in between makes it "
        "one). Which limit sets each tier's count is in brackets. Not modelled: Redis "
        "(its commands grow with room events, not listeners: the cluster section), join "
        "storms (admission per node), TLS.",
    ]
    return "\n".join(lines)
