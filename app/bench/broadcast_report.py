"""`panggung-bench broadcast`'s report: the phases as measured, the figures
computed from their differences, and the capacity model computed from those."""

from __future__ import annotations

import collections
import statistics

from app.bench import broadcast_model
from app.bench.broadcast import WIRE_OVERHEAD, BroadcastResult, Phase
from app.bench.broadcast_model import Measured

NODES = ("n0", "n1", "n2")


def _rate(p: Phase, name: str) -> float:
    return p.cpu.get(name, 0.0) / p.seconds


def _nodes_rate(p: Phase) -> float:
    return sum(_rate(p, n) for n in NODES)


def measured(r: BroadcastResult) -> Measured | None:
    """The model's inputs, or None when the run did not get that far."""
    base, one, many = r.phase("speaker only"), r.phase("1 listener"), r.phase(f"{r.per_edge} ")
    cached = r.phase(f"{r.cached} HLS players") if r.cached else None
    mixed = r.phase("mixed load")
    if base is None or one is None or many is None or cached is None or cached.hls_clients == 0:
        return None
    added = max(1.0, (many.listeners - one.listeners) / 2)  # per edge, as connected
    webrtc = statistics.mean((_rate(many, e) - _rate(one, e)) / added for e in ("n1", "n2"))
    wire = (many.octets + many.packets * WIRE_OVERHEAD) / many.seconds / max(1, many.listeners)
    signaling = 0.0
    nginx = _rate(cached, "nginx") / cached.hls_clients
    if mixed is not None and mixed.wrk is not None:
        # The larger HLS audience's figure, where there is one.
        nginx = _rate(mixed, "nginx") / (mixed.hls_clients + mixed.wrk.clients)
    if mixed is not None and mixed.signaling:
        # Below zero is the noise of a small load: taken as none.
        signaling = max(0.0, (_nodes_rate(mixed) - _nodes_rate(cached)) / mixed.signaling)
    return Measured(
        webrtc_cpu_s=webrtc,
        webrtc_bytes=wire,
        signaling_cpu_s=signaling,
        nginx_cpu_s=nginx,
        hls_bytes=cached.hls_bytes / cached.seconds / cached.hls_clients,
        origin_cpu_s=_rate(cached, "n0"),
        origin_per_edge_s=(_rate(one, "n0") - _rate(base, "n0")) / 2,
    )


def _fetches(p: Phase) -> str:
    counts = collections.Counter(p.origin_fetches)
    spread = ", ".join(f"{n} fetch{'es' if n != 1 else ''}: {k}" for n, k in sorted(counts.items()))
    return (
        f"{len(p.origin_fetches)} segments fetched by the clients in the window; the origin's "
        f"fetches per segment (nginx's log, `$upstream_addr`): {spread or 'none'}; the playlist "
        f"{p.playlist_fetches} times in {p.seconds:.0f} s; nginx answered {p.requests:,} requests"
    )


def _stats(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    return (
        f"p50 {statistics.median(ordered):.2f} s, min {ordered[0]:.2f}, max {ordered[-1]:.2f} "
        f"(n={len(ordered)})"
    )


def markdown(r: BroadcastResult) -> str:
    others = sorted({k for p in r.phases for k in p.cpu} - set(NODES))
    lines = [
        f"{r.per_edge} light WebRTC listeners per edge (2 edges), {r.hls} HLS clients straight "
        f"at the origin, {r.cached:,} HLS players through nginx, {r.signaling:,} "
        f"signaling-only listeners in the mixed load; {r.seconds:g} s windows. CPU is each "
        "process's own (utime + stime, /proc), measured; the per-listener and per-edge "
        "figures are computed from the differences between phases.",
        "",
        "| phase | origin n0 CPU % | edge n1 CPU % | edge n2 CPU % | "
        + "".join(f"{k} CPU % | " for k in others)
        + "WebRTC packets verified/s | HLS segments/s (errors) |",
        "|---|---|---|---|" + "---|" * len(others) + "---|---|",
    ]
    for p in r.phases:
        pct = {k: 100 * v / p.seconds for k, v in p.cpu.items()}
        extra = "".join(f"{pct[k]:.1f} | " if k in pct else "- | " for k in others)
        hls = f"{p.hls.segments / p.seconds:.0f} ({p.hls.errors})" if p.hls else "-"
        lines.append(
            f"| {p.name} | {pct['n0']:.1f} | {pct['n1']:.1f} | {pct['n2']:.1f} | {extra}"
            f"{p.packets / p.seconds:.0f} | {hls} |"
        )
    lines.append("")
    base, one, many = r.phase("speaker only"), r.phase("1 listener"), r.phase(f"{r.per_edge} ")
    if base and one and many:
        per_edge = (_rate(one, "n0") - _rate(base, "n0")) / 2
        added = max(1.0, (many.listeners - one.listeners) / 2)
        per_listener = [(_rate(many, e) - _rate(one, e)) / added for e in ("n1", "n2")]
        lines += [
            f"- Origin cost per edge: {per_edge * 1e3:.2f} ms of CPU per second "
            f"({per_edge * 100:.2f} % of a core), computed from phases 1-2.",
            f"- WebRTC tier, per listener on an edge: {per_listener[0] * 1e3:.2f} / "
            f"{per_listener[1] * 1e3:.2f} ms of CPU per second (n1 / n2), computed from phases "
            f"2-3; the origin meanwhile {_rate(one, 'n0') * 100:.1f} % → "
            f"{_rate(many, 'n0') * 100:.1f} % of a core.",
            f"- Listeners verified {many.packets / many.seconds:.0f} packets/s of the "
            f"{many.listeners * 50} expected ({many.listeners} x 50; {many.connected} connected).",
        ]
    direct = r.phase(f"+ {r.hls} HLS")
    if many and direct and r.hls:
        per_client = (_rate(direct, "n0") - _rate(many, "n0")) / r.hls
        lines.append(
            f"- HLS at an uncached origin: {per_client * 1e3:.2f} ms of the origin's CPU per "
            f"client-second, {direct.hls_bytes / direct.seconds / r.hls / 1e3:.1f} kB/s per "
            "client, computed from phases 3-4."
        )
    cached = r.phase(f"{r.cached} HLS players") if r.cached else None
    if cached and cached.hls_clients:
        lines.append(
            f"- HLS through nginx, {cached.hls_clients:,} players: nginx "
            f"{_rate(cached, 'nginx') / cached.hls_clients * 1e3:.3f} ms of CPU per "
            f"client-second, {cached.hls_bytes / cached.seconds / cached.hls_clients / 1e3:.1f} "
            f"kB/s per client; the origin {_rate(cached, 'n0') * 100:.1f} % of a core "
            f"(its AAC writer now running). {_fetches(cached)} (measured)."
        )
    if r.delays is not None:
        d = r.delays
        lines.append(
            f"- HLS delay behind live (the app's HlsPlayer through nginx, a pitch marker in the "
            f"speaker's tone, measured): **{_stats(d.hls)}**; the same player straight at the "
            f"origin beside it: {_stats(d.direct)}; a live WebRTC ear on edge n1: "
            f"{_stats(d.live)}; markers lost {d.lost}, player underruns {d.underruns}; audio "
            "held in the players' queues at the end: "
            + " / ".join(f"{b:.2f} s" for b in d.buffered)
            + " (through nginx / straight); a new segment listed through nginx later than "
            f"at the origin by {_stats(d.listed_later)} (both playlists polled every 50 ms). "
            "Target ≤ 3 s with ~1 s segments."
        )
    if r.switches:
        s = r.switches
        lines.append(
            "- Stage switch (the desktop session on the broadcast, invited, accepting at once; "
            "seconds from the invite, measured): the invite seen "
            f"{_stats([x.invited_seen for x in s])}; the live link up "
            f"{_stats([x.live_link for x in s])}; on stage {_stats([x.on_stage for x in s])}; "
            f"**the live room heard {_stats([x.heard_live for x in s])}** (the pitch the "
            "speaker took at the invite, played from the live link; the broadcast carries it "
            f"only after the HLS delay above). Broadcast heard before the invite: "
            f"{sum(x.broadcast_heard for x in s)} of {len(s)}."
        )
    mixed = r.phase("mixed load")
    if mixed is not None:
        total = mixed.signaling + mixed.listeners
        counts = mixed.hls
        w = mixed.wrk
        wrk_clients = w.clients if w is not None else 0
        wrk_text = (
            f" and {w.clients:,} more HLS clients from wrk "
            f"({w.requests / w.seconds / w.clients:.2f} requests/s each, "
            f"{w.segments / w.seconds / w.clients:.2f} segments/s each, {w.errors} errors, "
            f"p99 {w.p99_ms:.0f} ms, over its {w.seconds:.0f} s run)"
            if w is not None
            else ""
        )
        lines.append(
            f"- **Mixed load (measured, one {mixed.seconds:.0f} s window)**: {total:,} signaling "
            f"listeners joined in the room ({mixed.signaling:,} signaling-only in `panggung-bot "
            f"load` processes over the 3 nodes + {mixed.listeners} with a WebRTC link on the "
            f"edges, {mixed.connected} connected, {mixed.packets / mixed.seconds:.0f} of "
            f"{mixed.listeners * 50} packets/s verified) and {mixed.hls_clients:,} HLS players "
            "polling through nginx"
            + (
                f" ({counts.segments / mixed.seconds / max(1, mixed.hls_clients):.2f} "
                f"segments/s per player, {counts.errors} errors, {counts.gone} gone)"
                if counts
                else ""
            )
            + wrk_text
            + f": {total + mixed.hls_clients + wrk_clients:,} listeners' "
            "connections in all. Nodes "
            f"{_rate(mixed, 'n0') * 100:.0f} / {_rate(mixed, 'n1') * 100:.0f} / "
            f"{_rate(mixed, 'n2') * 100:.0f} % of a core. {_fetches(mixed)}."
        )
    model = measured(r)
    if model is not None:
        lines += ["", "**Capacity model** (computed from the figures above):", ""]
        lines.append(broadcast_model.markdown(model))
    lines.append(
        f"\n- Load average before: {', '.join(f'{x:.1f}' for x in r.load_before)}; "
        f"after: {', '.join(f'{x:.1f}' for x in r.load)}."
    )
    for error in r.errors:
        lines.append(f"- Error: {error}")
    return "\n".join(lines)
