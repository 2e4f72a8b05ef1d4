"""ICE settings shared by server and client peer connections.

aioice gathers host candidates on every interface except loopback and has no
option to choose them; real deployments (a public IP, a single interface) and
tests (127.0.0.1 only) both need to. ``apply_ice_settings`` narrows gathering
per peer connection, without patching aioice globally.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection

from app.media import aiortc_hooks as hooks


@dataclass(frozen=True)
class IceSettings:
    """How a peer connection finds its way.

    ``ice_servers``: STUN/TURN URLs. Empty by default: aiortc would otherwise
    use a public STUN server.
    ``host_addresses``: local addresses to gather host candidates on (and bind
    media sockets to). Empty means aioice's default: every non-loopback address.
    """

    ice_servers: tuple[str, ...] = ()
    host_addresses: tuple[str, ...] = ()

    def configuration(self) -> RTCConfiguration:
        return RTCConfiguration(iceServers=[RTCIceServer(urls=url) for url in self.ice_servers])


LOOPBACK_ONLY = IceSettings(host_addresses=("127.0.0.1",))
"""For tests and benchmarks: traffic never leaves 127.0.0.1."""


def new_peer_connection(settings: IceSettings) -> RTCPeerConnection:
    return RTCPeerConnection(configuration=settings.configuration())


def apply_ice_settings(pc: RTCPeerConnection, settings: IceSettings) -> None:
    """Restrict host-candidate gathering of ``pc``'s transports to the configured addresses.

    Call after the transceivers exist (addTransceiver / setRemoteDescription)
    and before setLocalDescription, which is when aiortc gathers.
    """
    if settings.host_addresses:
        for connection in hooks.gatherer_connections(pc):
            hooks.restrict_host_addresses(connection, settings.host_addresses)
