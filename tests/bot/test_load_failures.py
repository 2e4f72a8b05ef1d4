"""The load tool says why joins failed, so that a storm that admits fewer
than it should (14,646 of 15,000 in one benchmark run) can be explained."""

from pathlib import Path

from app.bench.accounts import provision
from app.bot.load import LoadBots
from app.server.app import ServerConfig, start_server

PASSWORD = "load-failures-1"


async def test_failed_joins_are_counted_by_their_error_and_by_a_dropped_connection(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'load.db'}"
    tokens = [token for _, token in await provision(db, ["a", "b", "c"], PASSWORD)]
    server = await start_server(ServerConfig(db_url=db, port=0, media=False))
    bots = LoadBots(server.url, "no-such-room", ["127.0.8.1"])
    try:
        assert await bots.connect(tokens) == 3
        assert await bots.join() == []
        assert bots.join_failures == {"error: room_not_found": 3}

        # A connection the server no longer holds fails as a connection error.
        transport = bots.listeners[0].ws._response.connection
        assert transport is not None and transport.transport is not None
        transport.transport.abort()
        assert await bots.join() == []
        # Counted afresh for each `join`.
        assert bots.join_failures == {"error: room_not_found": 2, "ClientConnectionResetError": 1}

        # A connection the server closed says how: the close code it sent
        # (1013: fell behind) apart from one that dropped (1006, no frame).
        await next(iter(server.connections)).ws.close(code=1013)
        assert await bots.join() == []
        assert bots.join_failures == {
            "error: room_not_found": 1,
            "ClientConnectionResetError (close code 1013)": 1,
            "ClientConnectionResetError (close code 1006, ClientConnectionResetError)": 1,
        }
    finally:
        await bots.close()
        await server.stop()
