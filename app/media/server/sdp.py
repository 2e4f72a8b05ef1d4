"""SDP adjustments for offers from browsers, applied before aiortc reads them."""


def without_mdns_candidates(sdp: str) -> str:
    """Drop ICE candidates named by an mDNS host name (``<uuid>.local``).

    Browsers hide their addresses behind such names when the page has no
    camera or microphone permission, which a listener never asks for. aiortc
    resolves each one by multicast DNS inside ``setRemoteDescription``, which
    then waits up to a second per name for an answer that a server not on
    the browser's own network never gets, and sends multicast queries onto
    the server's LAN at a remote client's word. Without them the browser is
    found anyway: its connectivity checks reach our candidates, and aioice
    learns its address from them (a peer-reflexive candidate).
    """
    lines = sdp.splitlines(keepends=True)
    return "".join(line for line in lines if not _mdns_candidate(line))


def _mdns_candidate(line: str) -> bool:
    if not line.startswith("a=candidate:"):
        return False
    fields = line.split()
    # candidate:<foundation> <component> <transport> <priority> <address> <port> typ ...
    return len(fields) > 4 and fields[4].lower().rstrip(".").endswith(".local")
