"""Markdown for the fan-out comparison (Panggung beside Janus Streaming)."""

from __future__ import annotations

import math

from app.bench.fanout import LISTENER_NICENESS, FanoutResult
from app.media.client.light import LATE_AFTER_MS

TARGET_PER_CORE = 2000.0
TARGET_LOSS = 0.5
TARGET_RATIO = 3.0  # issue 14: at most a third of Janus's CPU per delivered packet
# Below this share of what it sent reaching the listeners, a server did not
# sustain that many listeners on this machine (said so beside the targets).
SUSTAINED = 0.95


def ratios(results: list[FanoutResult]) -> dict[int, float]:
    """Janus's CPU per delivered packet over Panggung's (= Panggung's listeners per
    core over Janus's), per listener count measured on both."""
    by_key = {(r.system, r.listeners): r for r in results}
    out = {}
    for (system, n), ours in by_key.items():
        theirs = by_key.get(("janus", n))
        if system == "panggung" and theirs is not None and theirs.listeners_per_core > 0:
            out[n] = ours.listeners_per_core / theirs.listeners_per_core
    return out


def _connected(r: FanoutResult) -> str:
    """Listeners whose DTLS transport was still connected when counted (a listener
    that died in the window stops receiving: its sequence range shows no loss)."""
    connected = r.notes.get("listeners_connected_at_end")
    return "-" if connected is None else f"{connected}/{r.live}"


def _row(r: FanoutResult) -> str:
    return (
        f"| {r.listeners} | {r.system} | {r.cpu_us_per_packet:.1f} | {r.listeners_per_core:,.0f} "
        f"| {r.loss_percent:.3f} | {r.late} | {r.live}/{r.listeners} | {_connected(r)} "
        f"| {r.sent:,} | {r.received:,} | {r.rejected} | {r.srtp_profile} "
        f"| {r.load_average:.1f} |"
    )


def ceiling(ours: FanoutResult, janus: FanoutResult | None) -> float | None:
    """Janus's CPU per packet over the floor's batch (SRTP in place + sendmmsg): the
    ratio a server whose whole cost were that batch would reach in this run."""
    if janus is None or not ours.floor_protect_send_us > 0:
        return None
    return janus.cpu_us_per_packet / ours.floor_protect_send_us


def _floor_row(r: FanoutResult, ratio: float | None, best: float | None) -> str:
    shown = f"{ratio:.2f}" if ratio is not None else "-"
    top = f"{best:.2f}" if best is not None else "-"
    return (
        f"| {r.listeners} | {shown} | {r.floor_send_us:.1f} | {r.floor_protect_send_us:.1f} "
        f"| {r.fanout_loop_us:.1f} | {r.cpu_us_per_packet:.1f} | {top} |"
    )


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def markdown(results: list[FanoutResult]) -> str:
    rs = ratios(results)
    ours = [r for r in results if r.system == "panggung"]
    janus = {r.listeners: r for r in results if r.system == "janus"}
    source = ours[0].source if ours else "relay"
    lines = [
        "Server CPU per delivered 20 ms Opus packet: the server process's own CPU time "
        "(all its threads) in the window over the packets it delivered in that window "
        "(packets sent to listeners x (1 - the listeners' loss), at most what the listeners "
        "received; sent: Panggung's fan-out "
        "counter of datagrams the kernel took; Janus: packets fed to the mountpoint x live "
        "listeners). Listeners per core at 50 packets/s = 1e6 / (50 x µs per packet). "
        "Loss from RTP sequence ranges per listener; every packet is SRTP-decrypted and "
        "authenticated by its listener (Rejected: failed authentication). Late = underruns "
        f"of a {LATE_AFTER_MS} ms jitter buffer: a packet more than {LATE_AFTER_MS} ms "
        "slower (kernel arrival time against RTP timestamp) than the fastest one, counted "
        "once per event. Live: listeners that had received media before the window; "
        "Connected: those whose DTLS transport was still connected when counted (one that "
        "died in the window just stops receiving, which its sequence range does not show "
        "as loss). SRTP: the profile the listeners negotiated with each server, over the "
        "connected ones (? = not connected).",
        "",
        "| Listeners | Server | CPU µs / packet | Listeners / core | Loss % | Late | Live "
        "| Connected | Sent | Received | Rejected | SRTP | Load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *(_row(r) for r in results),
        "",
        "Panggung beside its floor, measured in the same process right after its window, "
        "to as many receiving sockets on 127.0.0.1, paced at 20 ms like the fan-out "
        "(µs of CPU per packet): bare `sendmmsg` of ready-made datagrams of the protected "
        "size (the kernel, including loopback delivery into the receiving socket); the "
        "fan-out's batch alone (copy, libsrtp in place, `sendmmsg`); the fan-out call in "
        "the real run (thread CPU inside `FanoutStream.forward`/`send`, per packet sent); "
        "and the whole server process (the figure above). Ceiling (computed): Janus's CPU "
        "per packet over the batch alone, the ratio a server that did nothing but the "
        "batch would reach in this run.",
        "",
        "| Listeners | Janus / Panggung (CPU per packet) | Bare sendmmsg | Batch: SRTP + "
        "sendmmsg | Fan-out call in the run | Server process | Ceiling: Janus / batch |",
        "|---|---|---|---|---|---|---|",
        *(_floor_row(r, rs.get(r.listeners), ceiling(r, janus.get(r.listeners))) for r in ours),
        "",
        _targets(ours, rs),
        *_unsustained(results),
        "",
        _interpretation(results, rs, source),
    ]
    return "\n".join(lines) + "\n"


def _targets(ours: list[FanoutResult], rs: dict[int, float]) -> str:
    per_core = min((r.listeners_per_core for r in ours), default=0.0)
    loss = max((r.loss_percent for r in ours), default=math.nan)
    ratio = min(rs.values(), default=math.nan)
    alive = [
        (int(r.notes["listeners_connected_at_end"]), r.live)
        for r in ours
        if "listeners_connected_at_end" in r.notes and r.live
    ]
    died = ""
    if alive:
        connected, live = min(alive, key=lambda a: a[0] / a[1])
        died = (
            f" Listeners still connected when counted: worst {connected} of {live}"
            " (loss is judged over those that received packets)."
        )
    return (
        f"Targets (worst case over the listener counts): ratio to Janus >= {TARGET_RATIO}: "
        f"{ratio:.2f}, {_met(ratio >= TARGET_RATIO)}; loss < {TARGET_LOSS} %: "
        f"{loss:.3f} %, {_met(loss < TARGET_LOSS)}; >= {TARGET_PER_CORE:,.0f} "
        f"listeners/core: {per_core:,.0f}, {_met(per_core >= TARGET_PER_CORE)}.{died}"
    )


def _unsustained(results: list[FanoutResult]) -> list[str]:
    """A server whose listeners received much less than it sent: its CPU per
    delivered packet counts only what arrived, and the line says why."""
    lines = []
    for r in results:
        if r.sent and r.received < SUSTAINED * r.sent:
            connected = r.notes.get("listeners_connected_at_end", "?")
            lines.append(
                f"- {r.system} did not sustain {r.listeners:,} listeners here: they received "
                f"{r.received:,} of the {r.sent:,} packets it sent in the window "
                f"({r.received / r.sent:.1%}), {connected} of {r.live} still connected at the "
                f"count, the server process busy {r.server_cpu_seconds / r.seconds:.2f} cores "
                "on this 2-core machine; its CPU per packet above is over what arrived."
            )
    return ["", *lines] if lines else []


def _interpretation(results: list[FanoutResult], rs: dict[int, float], source: str) -> str:
    load = max((r.load_average for r in results), default=0.0)
    feed = (
        "Both servers relay pre-encoded Opus (Panggung forwards one second of a "
        "pre-encoded tone, looped, through `FanoutStream.forward` as an edge node would; "
        "Janus gets the same kind of packets from a local RTP sender)"
        if source == "relay"
        else "Panggung encodes the tone once per tick in this process (the room mixer's "
        "path); Janus is fed pre-encoded RTP"
    )
    return (
        f"Interpretation: {feed}. Panggung: one shared UDP port, per tick one copy into "
        "per-listener slots, libsrtp in place per listener, one `sendmmsg` per 1,024 "
        "listeners, sender reports batched once a second, consent checks on one wheel; "
        "aiortc still does each listener's ICE and DTLS handshake. Janus: C, "
        "`event_loops = 2`, HTTP transport and Streaming plugin only, one `sendto` per "
        "packet, started with a loopback shim so it offers 127.0.0.1. Per-core figures "
        "come from CPU per packet, not from saturating the 2 cores, which the listener "
        f"processes share (niced {LISTENER_NICENESS} below the server under test, so "
        "that their decrypting does not preempt it). The machine was shared with other "
        "engineers' test runs "
        f"(1-minute load average up to {load:.1f} during this run), which inflates CPU "
        "per packet (caches, scheduling) and late packets for both servers; the ratio is "
        "of two figures measured back to back in the same run."
    )
