"""The media stack's part of ``panggung --self-test``: aiortc, libsrtp, Opus.

Proves that a build carries working native code: aiortc makes an offer
(ICE gathering, a DTLS certificate through OpenSSL), libsrtp protects and
unprotects a packet, and Opus (PyAV's libopus encoding with FEC, libopus
itself decoding) turns a second of a tone back into the same pitch and
level, with one packet lost and rebuilt from the next one's FEC.
"""

from __future__ import annotations

import asyncio

import aiortc
import av
import numpy as np
import pylibsrtp

from app.dsp import FRAME_SAMPLES, SAMPLE_RATE
from app.dsp.analysis import peak_frequency, rms_dbfs
from app.dsp.signals import to_int16, tone
from app.media.opus import OpusDecoder, OpusEncoder

TONE_HZ = 440.0


def check_aiortc() -> str:
    async def offer() -> str:
        # No ICE servers: aiortc's default is a public STUN server.
        pc = aiortc.RTCPeerConnection(aiortc.RTCConfiguration(iceServers=[]))
        try:
            pc.addTransceiver("audio", direction="sendrecv")
            await pc.setLocalDescription(await pc.createOffer())
            return str(pc.localDescription.sdp)
        finally:
            await pc.close()

    sdp = asyncio.run(offer())
    if "opus/48000" not in sdp:
        raise RuntimeError("the offer has no Opus")
    if "a=fingerprint:sha-256" not in sdp:
        raise RuntimeError("the offer has no DTLS fingerprint")
    candidates = sdp.count("a=candidate:")
    return (
        f"aiortc {aiortc.__version__}: offer with Opus, DTLS fingerprint, "
        f"{candidates} ICE candidates"
    )


def check_srtp() -> str:
    key = bytes(range(30))  # 16-byte key + 14-byte salt
    rtp = bytes([0x80, 0x6F, 0x00, 0x01, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78]) + b"\x55" * 40
    tx = pylibsrtp.Session(
        policy=pylibsrtp.Policy(key=key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
    )
    rx = pylibsrtp.Session(
        policy=pylibsrtp.Policy(key=key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND)
    )
    protected = tx.protect(rtp)
    if protected == rtp or rx.unprotect(protected) != rtp:
        raise RuntimeError("an SRTP round trip changed the packet")
    return f"pylibsrtp {pylibsrtp.__version__}: SRTP protect/unprotect round trip"


def check_opus() -> str:
    sent = to_int16(tone(TONE_HZ, SAMPLE_RATE, amplitude=0.25))
    encoder, decoder = OpusEncoder(), OpusDecoder()
    packets = [
        encoder.encode(sent[i : i + FRAME_SAMPLES]) for i in range(0, len(sent), FRAME_SAMPLES)
    ]
    if any(not p for p in packets):
        raise RuntimeError("the encoder gave an empty packet")
    lost = len(packets) // 2  # rebuilt from the packet after it
    decoded = np.concatenate(
        [
            decoder.recover(packets[i + 1]) if i == lost else decoder.decode(p)
            for i, p in enumerate(packets)
        ]
    )
    if len(decoded) != len(sent):
        raise RuntimeError(f"decoded {len(decoded)} samples, sent {len(sent)}")
    # Past the codec's start-up, the pitch and the level must come back.
    tail, sent_tail = decoded[SAMPLE_RATE // 2 :], sent[SAMPLE_RATE // 2 :]
    pitch, level, want = peak_frequency(tail), rms_dbfs(tail), rms_dbfs(sent_tail)
    if abs(pitch - TONE_HZ) > 5 or abs(level - want) > 3:
        raise RuntimeError(f"decoded {pitch:.1f} Hz at {level:.1f} dBFS, sent {TONE_HZ:.0f} Hz")
    size = sum(len(p) for p in packets)
    return (
        f"PyAV {av.__version__} libopus (FEC on): 1.00 s of {TONE_HZ:.0f} Hz -> "
        f"{len(packets)} packets ({size} bytes), one lost -> libopus {len(decoded)} samples "
        f"(FEC-rebuilt {decoder.fec_recovered}), {pitch:.1f} Hz at {level:.1f} dBFS "
        f"(sent {want:.1f})"
    )
