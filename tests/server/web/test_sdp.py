from app.media.server.sdp import without_mdns_candidates

OFFER = (
    "v=0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "a=candidate:1 1 udp 2113937151 48b73abc-cdea-4b32-87c1-bfac72ea6744.local 39687 typ host\r\n"
    "a=candidate:2 1 udp 2122260223 127.0.0.1 53021 typ host generation 0\r\n"
    "a=candidate:3 1 udp 1686052607 203.0.113.9 40000 typ srflx raddr 0.0.0.0 rport 0\r\n"
    "a=candidate:4 1 tcp 1518280447 AB12.LOCAL. 9 typ host tcptype active\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
)


def test_only_mdns_named_candidates_go() -> None:
    out = without_mdns_candidates(OFFER)
    assert ".local" not in out.lower()
    assert "a=candidate:2 " in out and "a=candidate:3 " in out
    assert out.count("\r\n") == OFFER.count("\r\n") - 2
    assert out.startswith("v=0\r\nm=audio") and out.endswith("opus/48000/2\r\n")
    assert without_mdns_candidates(out) == out
