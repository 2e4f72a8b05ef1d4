"""The cluster layer: many panggung-server nodes sharing rooms through Redis.

A shell beside the hub, not a core: the room core stays pure. `Cluster` is
the interface (api.py); `ClusterNode` runs it on Redis, `SoloCluster` is the
single process that needs no Redis. docs/cluster.md has the design.
"""

from app.server.cluster.api import (
    Cluster,
    ClusterError,
    Fenced,
    Health,
    Holder,
    Lease,
    LeaseState,
    MemberEntry,
    NodeInfo,
    Outcome,
    RemoteError,
    RequestHandler,
    RoomListener,
    RoomListing,
    Unavailable,
    VolatileRoom,
)
from app.server.cluster.config import ClusterConfig
from app.server.cluster.node import ClusterNode
from app.server.cluster.solo import SoloCluster

__all__ = [
    "Cluster",
    "ClusterConfig",
    "ClusterError",
    "ClusterNode",
    "Fenced",
    "Health",
    "Holder",
    "Lease",
    "LeaseState",
    "MemberEntry",
    "NodeInfo",
    "Outcome",
    "RemoteError",
    "RequestHandler",
    "RoomListener",
    "RoomListing",
    "SoloCluster",
    "Unavailable",
    "VolatileRoom",
]
