from app.media.ice import LOOPBACK_ONLY, IceSettings, apply_ice_settings, new_peer_connection


def test_configuration_has_no_public_stun_by_default() -> None:
    assert IceSettings().configuration().iceServers == []
    servers = IceSettings(ice_servers=("stun:stun.example.org:3478",)).configuration()
    assert [s.urls for s in servers.iceServers or []] == ["stun:stun.example.org:3478"]


async def test_gathers_only_configured_addresses() -> None:
    pc = new_peer_connection(LOOPBACK_ONLY)
    try:
        pc.addTransceiver("audio", direction="recvonly")
        pc.createDataChannel("chat")
        apply_ice_settings(pc, LOOPBACK_ONLY)
        apply_ice_settings(pc, LOOPBACK_ONLY)  # idempotent
        await pc.setLocalDescription(await pc.createOffer())
        candidates = [
            line for line in pc.localDescription.sdp.splitlines() if line.startswith("a=candidate:")
        ]
        assert candidates
        assert all(" 127.0.0.1 " in c and "typ host" in c for c in candidates)
    finally:
        await pc.close()


async def test_empty_settings_leave_aiortc_defaults() -> None:
    pc = new_peer_connection(IceSettings())
    try:
        pc.addTransceiver("audio")
        apply_ice_settings(pc, IceSettings())  # nothing to restrict: a no-op
    finally:
        await pc.close()
