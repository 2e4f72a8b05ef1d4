// The room's broadcast (HLS, a few seconds behind), for a listener the server
// has no live link for (`media_offer` refused `broadcast_only`). hls.js plays
// it through Media Source Extensions wherever the browser has them, as its
// authors advise even where native HLS exists: Chromium 156 answers "maybe"
// for HLS, yet its own player stayed paused or silent on this stream in our
// tests (docs/media.md). Browsers with native HLS only (Safari on iPhone)
// play the playlist themselves. hls.js is served by the server (vendored at
// build time, scripts/ensure-web.sh) and loaded only when a broadcast is needed.

// Segments are ~1 s: start two behind the live edge (hls.js's default is three).
const HLS_CONFIG = { enableWorker: false, liveSyncDurationCount: 2, maxBufferLength: 10 };

export class BroadcastPlayer {
  // onstate("broadcast" | "failed" | "blocked") for the page.
  constructor(audio, onstate) {
    this.audio = audio;
    this.onstate = onstate;
    this.hls = null;
    this.mode = null; // "hls.js" or "native", once started
    this._playing = () => this.onstate("broadcast");
    this._failed = () => this.onstate("failed");
  }

  async start(playlist) {
    this.stop();
    const Hls = await loadHls();
    this.audio.addEventListener("playing", this._playing);
    if (Hls?.isSupported()) {
      const hls = new Hls(HLS_CONFIG);
      this.hls = hls;
      this.mode = "hls.js";
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (data.fatal && this.hls === hls) this.onstate("failed");
      });
      hls.loadSource(playlist);
      hls.attachMedia(this.audio);
    } else if (this.audio.canPlayType("application/vnd.apple.mpegurl")) {
      this.mode = "native";
      this.audio.addEventListener("error", this._failed);
      this.audio.src = playlist;
    } else {
      this.audio.removeEventListener("playing", this._playing);
      throw new Error("this browser cannot play HLS");
    }
    this.audio.play().catch(() => this.onstate("blocked"));
  }

  get active() {
    return this.mode !== null;
  }

  stop() {
    this.audio.removeEventListener("playing", this._playing);
    this.audio.removeEventListener("error", this._failed);
    if (this.hls) {
      this.hls.destroy();
      this.hls = null;
    }
    if (this.mode === "native") {
      this.audio.removeAttribute("src");
      this.audio.load();
    }
    this.mode = null;
  }

  // For the tests: which player, and how far behind the live edge it plays.
  stats() {
    if (!this.mode) return null;
    return {
      mode: this.mode,
      currentTime: this.audio.currentTime,
      latency: this.hls ? this.hls.latency : null,
      paused: this.audio.paused,
    };
  }
}

async function loadHls() {
  try {
    return (await import("./hls.mjs")).default;
  } catch {
    return null; // not vendored into this build: native HLS, if any
  }
}
