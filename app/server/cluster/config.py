"""A node's cluster settings, with the timings that decide failover."""

import secrets
import socket
from dataclasses import dataclass, field
from urllib.parse import urlparse


@dataclass(frozen=True)
class ClusterConfig:
    redis_url: str  # redis://HOST:PORT/N
    url: str  # this node's public WebSocket URL, handed to clients
    name: str = field(default_factory=socket.gethostname)
    prefix: str = "panggung"
    # This node's HTTP base URL for the other nodes (http://HOST:PORT), not
    # for clients: an edge fetches a room's HLS from its origin there.
    http_url: str = ""
    # A room's lease: how long it lasts unrenewed, how often it is renewed.
    # A dead origin's rooms are taken over about lease_ttl after it died.
    # Renewals run on a thread of their own (renewer.py), so a lease survives
    # an overloaded event loop, but not a process starved of CPU: at 1 s the
    # 00:50 cluster run (load 19-26) moved a live room three times before any
    # kill. 2 s costs failover about 1 s (p50 1.7 s heard again at 1 s).
    lease_ttl: float = 2.0
    renew_interval: float = 0.5
    # The origin stops acting this long before its lease would run out in
    # Redis, for clock drift between this process and Redis.
    lease_margin: float = 0.1
    # Leases are renewed from a thread, whatever the event loop's backlog;
    # an event loop that has not run for this long stops the renewals (a
    # wedged process must not keep its rooms).
    loop_stall_limit: float = 10.0
    heartbeat_interval: float = 1.0
    heartbeat_ttl: float = 3.0
    # One Redis command from the event loop (a loop stalled this long by
    # overload would take its own lag for Redis hanging: the lease renewals,
    # on their thread, find a hung Redis within the lease anyway), and one
    # forwarded request's attempt.
    command_timeout: float = 3.0
    attempt_timeout: float = 1.0
    # A forwarded request waits this long in all for an origin to answer.
    forward_timeout: float = 5.0
    # Reconnecting to Redis: exponential backoff with full jitter.
    backoff_base: float = 0.05
    backoff_cap: float = 2.0

    def __post_init__(self) -> None:
        if not 0 < self.renew_interval < self.lease_ttl - self.lease_margin:
            raise ValueError("renew_interval must be shorter than lease_ttl - lease_margin")
        if not 0 <= self.lease_margin < self.lease_ttl:
            raise ValueError("lease_margin must be shorter than lease_ttl")
        if self.loop_stall_limit < self.lease_ttl:
            raise ValueError("loop_stall_limit must be at least lease_ttl")
        if urlparse(self.redis_url).scheme not in ("redis", "rediss", "unix"):
            raise ValueError(f"not a Redis URL: {self.redis_url!r}")

    @property
    def database(self) -> int:
        path = urlparse(self.redis_url).path.strip("/")
        return int(path) if path.isdigit() else 0

    def new_node_id(self) -> str:
        """A fresh id per process: a restarted node never inherits its past leases."""
        return f"{self.name}-{secrets.token_hex(4)}"
