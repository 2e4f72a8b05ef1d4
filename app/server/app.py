"""The server's composition root: builds the store, accounts, hub and HTTP app."""

import asyncio
import logging
import math
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from app.protocol import PROTOCOL_VERSION
from app.server.accounts import Accounts, HashGate
from app.server.admission import JoinGate
from app.server.broadcast.edge import EdgeStreams, Origins
from app.server.broadcast.streams import Broadcasts, WriterFactory
from app.server.broadcast.tokens import StreamTokens
from app.server.cluster import ClusterConfig, ClusterNode
from app.server.http import aiohttp_hooks
from app.server.http.connection import Connection
from app.server.http.downloads import Downloads
from app.server.http.hls import HlsRoutes
from app.server.http.lane import AudienceLane
from app.server.http.listener import (
    Listener,
    accept_backlog,
    default_connection_cap,
    lingering_budget,
    raise_open_file_limit,
)
from app.server.http.ratelimit import RateLimitConfig, RateLimits
from app.server.http.readgate import PER_TURN as READS_PER_TURN
from app.server.http.readgate import ReadGate
from app.server.http.replays import ReplayRoutes
from app.server.http.routes import Routes
from app.server.http.session import Dispatcher
from app.server.http.timing import RequestTimes
from app.server.hub import RoomHub
from app.server.logs import LoopErrors
from app.server.recording_shell import RecorderFactory, Recordings, default_directory
from app.server.relay_links import RelayEdge, RelayOrigin
from app.server.replays import TOKEN_LIFETIME as REPLAY_TOKEN_LIFETIME
from app.server.replays import Replays
from app.server.schedules import Schedules
from app.server.store import open_store
from app.server.store.api import Store
from app.server.store.engine import DEFAULT_TIMEOUT_S
from app.server.tasks import stop_tasks
from app.server.voice_rooms import PERSONAL_MIXES, MediaFactory, VoiceRooms
from app.server.web.origin import OriginPolicy
from app.server.web.pages import WebPages, public_preview

log = logging.getLogger(__name__)
# The name of the broadcast tokens' secret among the cluster's shared ones.
HLS_SECRET = "hls"
# Seconds a stopping server gives the HTTP requests still running.
SHUTDOWN_GRACE = 5.0
# Listening on every interface: this machine itself is reached on loopback.
LOCAL_NAMES = {"0.0.0.0": "127.0.0.1", "::": "::1"}


@dataclass(frozen=True)
class ServerConfig:
    db_url: str
    host: str = "127.0.0.1"
    port: int = 8765
    grace_period: float = 120.0
    tick_interval: float = 0.5
    max_frame_bytes: int = 1024 * 1024
    # WebSocket pings to a connection quiet this long (aiohttp's heartbeat;
    # no pong within half of it closes the connection). Every ping costs the
    # loop a timer, a task and a pong (~150 us): at 20 s, 15,000 idle
    # listeners cost 750 of them a second. Vanished peers are found by TCP
    # keepalive within ~63 s (app/server/http/keepalive.py), before the
    # heartbeat's 82.5 s; 55 s stays under
    # nginx's 75 s proxy_read_timeout in docs/cluster.md.
    heartbeat: float = 55.0
    # host[:port] written into invite links; defaults to where we listen.
    public_address: str | None = None
    rate_limits: RateLimitConfig = field(default_factory=RateLimitConfig)
    # Audio: off for signaling-only deployments and tests.
    media: bool = True
    # Addresses to gather ICE candidates on; None: 127.0.0.1 when listening on
    # loopback (only local clients can reach us anyway), else every interface.
    media_addresses: tuple[str, ...] | None = None
    ice_servers: tuple[str, ...] = ()
    # Where recordings go; None: `recordings/` next to a SQLite file, else in
    # the user data directory (see recording.default_directory).
    recordings_dir: Path | None = None
    # Where the broadcast tier's HLS files go while rooms are listened to that
    # way; None: `hls/` beside the recordings' default directory.
    hls_dir: Path | None = None
    # Live (WebRTC) links this node gives listeners, over all its rooms; past
    # it new listeners are sent to the broadcast (HLS). None: no limit.
    webrtc_capacity: int | None = None
    # Members per room who may hear a mix of their own (per-speaker volume).
    personal_mixes: int = PERSONAL_MIXES
    # A room's HLS writer stops this long after its last HTTP request.
    hls_idle_timeout: float = 30.0
    # How long one database operation may take (PostgreSQL) before it fails.
    db_timeout: float = DEFAULT_TIMEOUT_S
    # Open connections at most; None: the descriptor limit less a reserve.
    max_connections: int | None = None
    # A connection must send a whole request within this long of connecting
    # (or of its last response); idle HTTP keep-alive ends after it too.
    request_timeout: float = 15.0
    # Browser origins allowed to open /ws ("*": any); clients that send no
    # Origin (the desktop app, the bot) are always allowed.
    allowed_origins: tuple[str, ...] = ()
    # How often storage is probed for /healthz while nothing is saved.
    storage_check_interval: float = 5.0
    # Join admission (app/server/admission.py): joins a second, burst, and the
    # longest a join waits its turn before it is told `busy`.
    join_rate: float = 300.0
    join_burst: int = 50
    join_max_wait: float = 1.0
    # The stage's requests ahead of the audience's (app/server/http/lane.py);
    # off, every request is read and handled as it comes (for measuring the
    # lane and the read gate, app/server/http/readgate.py).
    audience_lane: bool = True
    audience_reads_per_turn: int = READS_PER_TURN
    # A node of a cluster (docs/cluster.md): redis://HOST:PORT/N; None: the
    # single process, which needs no Redis. `cluster_settings` overrides
    # ClusterConfig's timings (tests use short leases).
    cluster_url: str | None = None
    node_name: str | None = None
    # host:port the other nodes reach this one's HTTP at (an edge fetches a
    # room's HLS from its origin there); None: where it listens.
    node_address: str | None = None
    cluster_settings: Mapping[str, float | str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.cluster_url is not None and not self.db_url.startswith("postgresql"):
            raise ValueError(
                "a cluster needs PostgreSQL (--db postgresql://...): every node must "
                "read and write the same rooms, and a SQLite file belongs to one machine"
            )

    def gather_addresses(self) -> tuple[str, ...]:
        if self.media_addresses is not None:
            return self.media_addresses
        return ("127.0.0.1",) if self.host in ("127.0.0.1", "localhost") else ()


class RunningServer:
    # Scheduled rooms (set by start_server): their timer runs in the background.
    schedules: Schedules | None = None
    # Replays of finished recordings (set by start_server).
    replays: Replays | None = None
    # The broadcast tier's edge: other nodes' rooms' HLS (a cluster's nodes).
    edge: EdgeStreams | None = None

    def __init__(
        self,
        runner: web.AppRunner,
        store: Store,
        hub: RoomHub,
        accounts: Accounts,
        routes: Routes,
        background: "list[asyncio.Task[None]]",
        host: str,
        port: int,
        listener: Listener,
        limits: RateLimits,
        loop_errors: LoopErrors,
        broadcasts: Broadcasts,
    ) -> None:
        self._runner = runner
        self.store = store
        self.hub = hub
        self.accounts = accounts
        self._routes = routes
        self._background = background
        self.host = host
        self.port = port
        self.listener = listener
        self.limits = limits
        self._loop_errors = loop_errors
        self.broadcasts = broadcasts
        self._stopped = False

    @property
    def url(self) -> str:
        return f"ws://{LOCAL_NAMES.get(self.host, self.host)}:{self.port}/ws"

    @property
    def http_url(self) -> str:
        return f"http://{LOCAL_NAMES.get(self.host, self.host)}:{self.port}"

    @property
    def connections(self) -> "frozenset[Connection]":
        """The WebSocket connections open now."""
        return frozenset(self._routes.connections)

    @property
    def timings(self) -> RequestTimes:
        """The server's own request timings, by lane and type (/healthz)."""
        return self._routes.times

    def reset_timings(self) -> None:
        """Start the request timings in /healthz afresh (a benchmark's phase)."""
        self._routes.reset_timings()

    def adopt(self, task: "asyncio.Task[None]") -> None:
        """A background task of the server's (the demo's host): cancelled on stop."""
        self._background.append(task)

    async def stop(self) -> None:
        """Close every connection (clients reconnect later), save, release; never
        raises, and a second call does nothing."""
        if self._stopped:
            return
        self._stopped = True
        await stop_tasks(self._background, "server")
        self.listener.stop_listening()
        await self._routes.close_all(b"server shutting down")
        if self.edge is not None:
            try:
                await self.edge.close()
            except Exception:
                log.exception("stopping the broadcast edge failed")
        try:
            await self.broadcasts.close()
        except Exception:
            log.exception("stopping the broadcasts failed")
        await self.hub.close()
        try:
            await self.hub.cluster.close()
        except Exception:
            log.exception("leaving the cluster failed")
        try:
            await self._runner.cleanup()
            await self.store.close()
        except Exception:
            log.exception("releasing the server failed")
        self._loop_errors.uninstall()


async def start_server(config: ServerConfig) -> RunningServer:
    aiohttp_hooks.check()  # UnsupportedLibrary now, not a silent gap later
    open_files = raise_open_file_limit()
    store = await open_store(config.db_url, config.db_timeout)
    gate = HashGate(config.rate_limits.hash_concurrency, config.rate_limits.hash_queue)
    accounts = Accounts(store, time.time, gate=gate)
    voice = VoiceRooms(
        _media_factory(config) if config.media else None,
        config.webrtc_capacity,
        config.personal_mixes,
    )
    recordings = Recordings(
        store,
        voice,
        config.recordings_dir or default_directory(config.db_url),
        _recorder_factory() if config.media else None,
        time.time,
    )
    hub = RoomHub(
        store,
        time.time,
        config.grace_period,
        server_address="",
        voice=voice,
        recordings=recordings,
        gate=JoinGate(config.join_rate, config.join_burst, config.join_max_wait),
    )
    # A node restores only the rooms nobody else holds: it needs the cluster,
    # and the cluster needs the URL it is reached at, known once listening.
    restored = 0 if config.cluster_url else await hub.restore()
    broadcasts = Broadcasts(
        hub.local_room,
        voice,
        config.hls_dir or default_directory(config.db_url).parent / "hls",
        _hls_factory() if config.media else None,
        StreamTokens(secrets.token_bytes(32)),
        idle_timeout=config.hls_idle_timeout,
    )
    limits = RateLimits(config.rate_limits)
    schedules = Schedules(store, hub, time.time)
    # The broadcast tier's signer, with a secret and scope of its own.
    replays = Replays(
        store,
        recordings,
        StreamTokens(secrets.token_bytes(32), REPLAY_TOKEN_LIFETIME, scope="replay"),
        time.time,
    )
    routes = Routes(
        Dispatcher(
            accounts,
            hub,
            limits,
            AudienceLane() if config.audience_lane else AudienceLane(slice_seconds=math.inf),
            broadcasts=broadcasts,
            schedules=schedules,
            replays=replays,
        ),
        hub,
        config.max_frame_bytes,
        config.heartbeat,
    )
    origins = OriginPolicy(config.host, config.public_address, config.allowed_origins)
    app = web.Application(middlewares=[origins.middleware()])
    routes.install(app)
    Downloads(accounts, recordings).install(app)
    await broadcasts.remove_leftovers()
    hls = HlsRoutes(broadcasts)
    hls.install(app)
    ReplayRoutes(replays).install(app)
    WebPages(public_preview(lambda: hub.list_rooms(0)), PROTOCOL_VERSION).install(app)
    # keepalive_timeout runs from accept (and after each response) until a
    # whole request arrived: the header and idle timeout in one.
    # The WebSockets are closed by stop() first; what is left are plain HTTP
    # requests (a page, a playlist), given a few seconds, not aiohttp's 60
    # (twice: its wait, then its wait for the cancelled handlers).
    runner = web.AppRunner(
        app,
        handle_signals=False,
        access_log=None,
        keepalive_timeout=config.request_timeout,
        shutdown_timeout=SHUTDOWN_GRACE,
    )
    await runner.setup()
    cap = config.max_connections or default_connection_cap(open_files)
    assert runner.server is not None  # set up above
    listener = Listener(
        runner.server,
        cap,
        lingering_budget(open_files, cap),
        ReadGate(config.audience_reads_per_turn) if config.audience_lane else None,
    )
    loop = asyncio.get_running_loop()
    loop_errors = LoopErrors(loop)
    loop_errors.install()
    try:
        port = await listener.start(config.host, config.port, accept_backlog(open_files, cap))
    except BaseException:
        loop_errors.uninstall()
        await runner.cleanup()
        await store.close()
        raise
    origins.bound(port)
    hub.server_address = invite_address(config.public_address, config.host, port)
    if config.cluster_url is not None:
        public = invite_address(config.public_address, config.host, port)
        settings: dict[str, object] = {"name": config.node_name} if config.node_name else {}
        settings.update(config.cluster_settings)
        node_http = f"http://{config.node_address or invite_address(None, config.host, port)}"
        cluster = ClusterNode(
            ClusterConfig(
                redis_url=config.cluster_url,
                url=f"ws://{public}/ws",
                http_url=node_http,
                **settings,  # type: ignore[arg-type]
            ),
            load=lambda: len(routes.connections),
        )
        await cluster.start()
        hub.use_cluster(cluster)
        await cluster.share_secret(HLS_SECRET, secrets.token_bytes(32))
        _use_edge(hub, hls, broadcasts, cluster)
        if config.media:
            _use_relay(hub, voice, config, cluster)
        restored = await hub.restore()
    background = [
        loop.create_task(hub.run_ticker(config.tick_interval)),
        loop.create_task(hub.run_storage_check(config.storage_check_interval)),
        loop.create_task(hub.run_directory()),
        loop.create_task(broadcasts.run_sweeper()),
        loop.create_task(routes.lag.run()),
        loop.create_task(schedules.run()),
    ]
    if isinstance(hub.cluster, ClusterNode):
        background.append(loop.create_task(hub.run_takeover(hub.cluster.config.lease_ttl)))
        background.append(loop.create_task(hub.run_lease_watch()))
    if config.media:
        background.append(loop.create_task(hub.run_speaking()))
    if hub.relay_origin is not None and hub.relay_edge is not None:
        background.append(loop.create_task(hub.relay_origin.run()))
        background.append(loop.create_task(hub.relay_edge.run()))
    log.info(
        "listening on %s:%d (at most %d connections), %d live room(s) restored",
        config.host,
        port,
        cap,
        restored,
    )
    running = RunningServer(
        runner,
        store,
        hub,
        accounts,
        routes,
        background,
        config.host,
        port,
        listener,
        limits,
        loop_errors,
        broadcasts,
    )
    running.schedules = schedules
    running.replays = replays
    running.edge = hls.edge
    return running


def invite_address(public: str | None, host: str, port: int) -> str:
    """host:port for invite links: ``public`` (a port added when it has
    none, e.g. when the server took any free one), else where we listen."""
    if public is None:
        return f"{LOCAL_NAMES.get(host, host)}:{port}"
    if ":" in public.rsplit("]", 1)[-1]:
        return public
    return f"{public}:{port}"


def _use_edge(hub: RoomHub, hls: HlsRoutes, broadcasts: Broadcasts, node: ClusterNode) -> None:
    """Every node serves every room's HLS (docs/cluster.md, the broadcast tier)."""
    # Tokens signed with the cluster's secret verify at any node, and still
    # at a new origin after a takeover.
    broadcasts.tokens = StreamTokens(lambda: node.secret(HLS_SECRET))
    origins = Origins(node, lambda room_id: hub.listed(room_id) is not None)
    hls.edge = EdgeStreams(origins, broadcasts.tokens)


def _use_relay(hub: RoomHub, voice: VoiceRooms, config: ServerConfig, node: ClusterNode) -> None:
    """The edge relay between this node and the others (docs/cluster.md)."""
    # Imported here, like the media plane.
    from app.media.ice import IceSettings
    from app.media.server.room import RoomMedia

    settings = IceSettings(host_addresses=config.gather_addresses(), ice_servers=config.ice_servers)
    # The relay's socket: the first media address (loopback, or a namespace's).
    host = (config.gather_addresses() or (config.host,))[0]

    def plane_of(room_id: str) -> RoomMedia | None:
        plane = voice.ensure_plane(room_id)
        return plane if isinstance(plane, RoomMedia) else None

    hub.relay_origin = RelayOrigin(lambda: node.node_id, host, plane_of)
    hub.relay_edge = RelayEdge(
        host, hub.forward_relay, lambda: RoomMedia(settings), lambda: secrets.randbits(32) or 1
    )
    voice.relayed_links = hub.relay_edge.links


def _media_factory(config: ServerConfig) -> MediaFactory:
    # Imported here so that a signaling-only server never loads aiortc.
    from app.media.ice import IceSettings
    from app.media.server.room import RoomMedia

    settings = IceSettings(ice_servers=config.ice_servers, host_addresses=config.gather_addresses())
    return lambda: RoomMedia(settings)


def _recorder_factory() -> RecorderFactory:
    # Imported here, like the media plane: PyAV's muxer lives in app.media.
    from app.media.server.recorder import OggOpusRecorder

    return OggOpusRecorder.open


def _hls_factory() -> WriterFactory:
    # Imported here, like the recorder: PyAV's muxer lives in app.media.
    from app.media.server.hls import HlsWriter

    return HlsWriter.open
