"""Mouth-to-ear latency to a browser listener, measured as `panggung-bench latency` does.

A speaker client holds push-to-talk and sends a click train through a real
`panggung-server`; the listener is the web page in Debian's Chromium
(headless), playing the room through its own RTCPeerConnection (libwebrtc's
jitter buffer, NetEq). Each click's send time (its frame leaving the speaker's
source) is matched with the time the browser's audio renderer handed the
click to playback: an AudioWorklet on the page's stream notes the wall clock
of every 128-sample block it renders. Sound devices are excluded, as in
`latency`; the browser's own output buffer (and PulseAudio's) is not counted.

Everything runs in a network namespace of its own (app/bench/netns.py: root),
so that Chromium offers only 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.audio.virtual import VirtualPulse
from app.bench.latency import MAX_LATENCY, PASSWORD, _member
from app.bench.netns import private_network
from app.bench.signaling import Server
from app.dsp.click_timing import FrameTimes, click_times, match_clicks, percentile
from app.media.loopback_latency import ClickSource

BLOCK = 128  # samples per Web Audio render quantum
# Registered from a blob: URL, hence the context's bypass_csp (this page's own
# CSP allows no such script; the benchmark is not the page).
TAP = """
registerProcessor("tap", class extends AudioWorkletProcessor {
  process(inputs) {
    const ch = inputs[0][0];
    if (ch) this.port.postMessage({ t: Date.now(), d: ch.slice() });
    return true;
  }
});
"""
START_TAP = """async (source) => {
  const ctx = new AudioContext({ sampleRate: 48000, latencyHint: "interactive" });
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  await ctx.audioWorklet.addModule(url);
  const node = new AudioWorkletNode(ctx, "tap");
  ctx.createMediaStreamSource(document.getElementById("audio").srcObject).connect(node);
  node.connect(ctx.destination);
  window.tapped = { times: [], blocks: [] };
  node.port.onmessage = (e) => {
    window.tapped.times.push(e.data.t);
    window.tapped.blocks.push(e.data.d);
  };
  await ctx.resume();
  window.tapCtx = ctx;
  return ctx.baseLatency;
}"""
TAKE_TAP = """() => {
  const { times, blocks } = window.tapped;
  window.tapped = { times: [], blocks: [] };
  const out = new Int16Array(blocks.length * 128);
  blocks.forEach((b, i) => out.set(b.map((x) => Math.max(-1, Math.min(1, x)) * 32767), i * 128));
  return { times, samples: Array.from(out) };
}"""


@dataclass(frozen=True)
class BrowserLatencyResult:
    latencies_ms: list[float]
    sent: int
    received: int
    unmatched: int
    browser: str
    jitter_buffer_ms: float
    concealed_ms: float

    def percentile(self, p: float) -> float:
        return percentile(self.latencies_ms, p) if self.latencies_ms else float("nan")


async def _listen_in_browser(
    http_url: str,
    room_id: str,
    pulse: VirtualPulse,
    source: ClickSource,
    clicks: int,
    interval: float,
) -> tuple[FrameTimes, np.ndarray[Any, Any], str, dict[str, Any]]:
    from playwright.async_api import async_playwright, expect

    from app.bench.chromium import ENUMERATE, launch

    async with async_playwright() as playwright:
        browser = await launch(playwright, {**os.environ, **pulse.env()})
        try:
            context = await browser.new_context(permissions=ENUMERATE, bypass_csp=True)
            page = await context.new_page()
            await page.goto(f"{http_url}/room/{room_id}")
            await page.get_by_label("Username").fill("browser")
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Create account").click()
            await expect(page.locator("#media-status")).to_have_text("Listening", timeout=30_000)
            await page.evaluate(START_TAP, TAP)
            await asyncio.sleep(1.5)  # let NetEq settle, as `latency` lets its playout
            await page.evaluate(TAKE_TAP)
            source.arm()
            await asyncio.sleep(clicks * interval + MAX_LATENCY + 0.3)
            taken = await page.evaluate(TAKE_TAP)
            stats = await page.evaluate("window.panggung.mediaStats()")
            version = browser.version
        finally:
            await browser.close()
    # Date.now() in the browser is this machine's wall clock: onto monotonic.
    offset = time.time() - time.monotonic()
    times = FrameTimes(frame_samples=BLOCK)
    for t in taken["times"]:
        times.mark(t / 1e3 - offset)
    return times, np.asarray(taken["samples"], dtype=np.int16), version, stats


async def measure(url: str, http_url: str, clicks: int, interval: float) -> BrowserLatencyResult:
    source = ClickSource(clicks, interval)
    speaker, voice = await _member(url, "speaker", source)
    with tempfile.TemporaryDirectory() as tmp:
        pulse = VirtualPulse(Path(tmp), ["load-module module-null-sink sink_name=spk"])
        try:
            room = await speaker.create_room("browser latency")
            await voice.start()
            await asyncio.wait_for(voice.connected.wait(), 30)
            await voice.press()
            times, audio, version, stats = await _listen_in_browser(
                http_url, room.room_id, pulse, source, clicks, interval
            )
        finally:
            pulse.stop()
            await voice.close()
            await speaker.close()
    sent_at = click_times(np.concatenate(source.sent), source.times)
    heard_at = click_times(audio, times)
    latencies, unmatched = match_clicks(sent_at, heard_at, MAX_LATENCY)
    inbound = stats["inbound"] or {}
    emitted = max(1, inbound.get("jitterBufferEmittedCount", 0))
    return BrowserLatencyResult(
        latencies_ms=[x * 1e3 for x in latencies],
        sent=len(sent_at),
        received=len(heard_at),
        unmatched=unmatched,
        browser=f"Chromium {version}",
        jitter_buffer_ms=1e3 * inbound.get("jitterBufferDelay", 0.0) / emitted,
        concealed_ms=1e3 * inbound.get("concealedSamples", 0) / 48_000,
    )


async def run(clicks: int, interval: float) -> BrowserLatencyResult:
    with private_network(), tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            http_url = server.url.removeprefix("ws://").removesuffix("/ws")
            return await measure(server.url, f"http://{http_url}", clicks, interval)
        finally:
            server.stop()


def markdown(result: BrowserLatencyResult) -> str:
    p50, p95, p99 = (result.percentile(p) for p in (50, 95, 99))
    return "\n".join(
        [
            "| clicks sent | matched | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {result.sent} | {len(result.latencies_ms)} | {p50:.1f} | {p95:.1f} | {p99:.1f} "
            f"| {max(result.latencies_ms, default=float('nan')):.1f} |",
            "",
            f"Listener: the web page in {result.browser} (headless), its RTCPeerConnection "
            f"against the server's media plane; NetEq's mean jitter-buffer delay "
            f"{result.jitter_buffer_ms:.0f} ms, {result.concealed_ms:.0f} ms concealed over the "
            "session. Path: speaker client → panggung-server (adaptive input buffer, 20 ms mixer "
            "tick, encode once) → Chromium (NetEq, Web Audio render quantum noted by an "
            "AudioWorklet), all on 127.0.0.1 in a private network namespace; sound devices "
            "and the browser's output buffer excluded, as in `latency`.",
        ]
    )
