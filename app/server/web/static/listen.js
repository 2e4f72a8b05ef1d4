// The room's audio through the browser's own RTCPeerConnection: one receive-only
// Opus m-line, offered over the WebSocket (`media_offer`, answered by
// `media_answer`) exactly as the desktop client does. Candidates are not
// trickled: the offer waits for gathering (bounded), the server's answer
// carries all of its candidates.

const GATHER_TIMEOUT_MS = 3000;

export class Listener {
  // signal(sdp) -> Promise<answer sdp>; onstate(state) for the page.
  constructor(audio, signal, onstate) {
    this.audio = audio;
    this.signal = signal;
    this.onstate = onstate;
    this.pc = null;
  }

  async start() {
    this.stop();
    // No ICE servers: the server is reachable where it says, and it learns
    // this browser's address from the browser's own checks.
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: "max-bundle", rtcpMuxPolicy: "require" });
    this.pc = pc;
    pc.addTransceiver("audio", { direction: "recvonly" });
    pc.ontrack = (ev) => {
      this.audio.srcObject = ev.streams[0] ?? new MediaStream([ev.track]);
      this.audio.play().catch(() => this.onstate("blocked"));
    };
    pc.onconnectionstatechange = () => {
      if (this.pc === pc) this.onstate(pc.connectionState);
    };
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc, GATHER_TIMEOUT_MS);
    const asked = performance.now();
    const answer = await this.signal(pc.localDescription.sdp);
    this.answeredMs = performance.now() - asked;
    if (this.pc !== pc) return; // stopped meanwhile
    await pc.setRemoteDescription({ type: "answer", sdp: answer });
  }

  stop() {
    if (this.pc) {
      this.pc.ontrack = null;
      this.pc.onconnectionstatechange = null;
      this.pc.close();
      this.pc = null;
    }
    this.audio.srcObject = null;
  }

  // Figures for the interop report and the tests: codec, SRTP, candidates.
  async stats() {
    if (!this.pc) return null;
    const out = {
      inbound: null,
      transport: null,
      pair: null,
      codec: null,
      offer: this.pc.localDescription?.sdp ?? null,
      answer: this.pc.remoteDescription?.sdp ?? null,
      answeredMs: this.answeredMs ?? null,
    };
    const report = await this.pc.getStats();
    for (const s of report.values()) {
      if (s.type === "inbound-rtp" && s.kind === "audio") out.inbound = s;
      else if (s.type === "transport") out.transport = s;
      else if (s.type === "codec") out.codec = s;
    }
    if (out.transport?.selectedCandidatePairId) {
      const pair = report.get(out.transport.selectedCandidatePairId);
      out.pair = {
        local: report.get(pair.localCandidateId),
        remote: report.get(pair.remoteCandidateId),
        rtt: pair.currentRoundTripTime,
      };
    }
    return out;
  }
}

function gathered(pc, timeoutMs) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    function done() {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    }
    function check() {
      if (pc.iceGatheringState === "complete") done();
    }
    pc.addEventListener("icegatheringstatechange", check);
  });
}
