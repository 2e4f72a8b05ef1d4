"""Markdown for the fan-out comparison (Panggung beside Janus Streaming)."""

from __future__ import annotations

import math

from app.bench.fanout import FanoutResult
from app.media.client.light import LATE_AFTER_MS

TARGET_PER_CORE = 2000.0
TARGET_LOSS = 0.5
TARGET_RATIO = 1.0


def ratios(results: list[FanoutResult]) -> dict[int, float]:
    """Panggung's listeners per core over Janus's, per listener count measured on both."""
    by_key = {(r.system, r.listeners): r for r in results}
    out = {}
    for (system, n), ours in by_key.items():
        theirs = by_key.get(("janus", n))
        if system == "panggung" and theirs is not None and theirs.listeners_per_core > 0:
            out[n] = ours.listeners_per_core / theirs.listeners_per_core
    return out


def _row(r: FanoutResult) -> str:
    return (
        f"| {r.listeners} | {r.system} | {r.cpu_us_per_packet:.1f} | {r.listeners_per_core:,.0f} "
        f"| {r.loss_percent:.3f} | {r.late} | {r.live}/{r.listeners} "
        f"| {r.deliveries:,} | {r.received:,} | {r.load_average:.1f} |"
    )


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def markdown(results: list[FanoutResult]) -> str:
    rs = ratios(results)
    ours = [r for r in results if r.system == "panggung"]
    lines = [
        "Server CPU per delivered 20 ms Opus packet (the server process's own CPU time over "
        "the packets it sent to listeners in the same window: Panggung's fan-out counter; "
        "for Janus, packets fed to the mountpoint x live listeners); listeners per core at "
        "50 packets/s = 1e6 / (50 x µs per packet). Loss from RTP sequence ranges per "
        f"listener. Late = underruns of a {LATE_AFTER_MS} ms jitter buffer: a packet more than "
        f"{LATE_AFTER_MS} ms slower (arrival against RTP timestamp) than the fastest one, "
        "counted once per event.",
        "",
        "| Listeners | Server | CPU µs / packet | Listeners / core | Loss % | Late | Live "
        "| Deliveries | Received | Load avg |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *(_row(r) for r in results),
        "",
    ]
    if rs:
        lines += [
            "| Listeners | Panggung / Janus (listeners per core) |",
            "|---|---|",
            *(f"| {n} | {ratio:.2f} |" for n, ratio in rs.items()),
            "",
        ]
    lines += [_targets(ours, rs), "", _interpretation(results, rs)]
    return "\n".join(lines) + "\n"


def _targets(ours: list[FanoutResult], rs: dict[int, float]) -> str:
    per_core = min((r.listeners_per_core for r in ours), default=0.0)
    loss = max((r.loss_percent for r in ours), default=math.nan)
    ratio = min(rs.values(), default=math.nan)
    return (
        f"Targets (worst case over the listener counts): >= {TARGET_PER_CORE:,.0f} "
        f"listeners/core: {per_core:,.0f}, {_met(per_core >= TARGET_PER_CORE)}; "
        f"loss < {TARGET_LOSS} %: {loss:.3f} %, {_met(loss < TARGET_LOSS)}; "
        f"ratio to Janus >= {TARGET_RATIO}: {ratio:.2f}, {_met(ratio >= TARGET_RATIO)}."
    )


def _interpretation(results: list[FanoutResult], rs: dict[int, float]) -> str:
    load = max((r.load_average for r in results), default=0.0)
    ahead = [n for n, ratio in rs.items() if ratio >= TARGET_RATIO]
    verdict = (
        "Panggung's server needs less CPU per packet than Janus at "
        + " and ".join(str(n) for n in ahead)
        + " listeners"
        if ahead
        else "Panggung's server needs more CPU per packet than Janus"
    )
    return (
        f"Interpretation: {verdict}, measured back to back in this run with the same "
        "listener client. Both servers do per-listener SRTP and one sendto per packet; "
        "Panggung's figure also carries its once-per-tick Opus encode, the ticker and "
        "aiortc's per-peer background work (RTCP, consent) in one Python process, while "
        "Janus (C, `event_loops = 2`, HTTP transport and Streaming plugin only, started "
        "with a loopback shim so it offers 127.0.0.1) is fed pre-encoded RTP. Per-core "
        "figures come from CPU per packet, not from saturating the 2 cores, which the "
        "listener processes share; fixed per-process costs weigh more at small listener "
        f"counts. The machine was shared with other test runs (1-minute load average up to "
        f"{load:.1f} during this run), which inflates CPU per packet and late packets for "
        "both servers (late packets also include listener-side scheduling delay); "
        "re-measure on a quiet machine before quoting absolute figures. Listener workers "
        "that lag count over a longer window than the server's, so Received may differ "
        "from Deliveries; loss is judged per listener from sequence ranges."
    )
