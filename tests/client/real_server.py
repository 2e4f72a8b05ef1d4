"""Members signed in to the real room server (the `server` fixture in conftest.py)."""

from app.client.session import RoomClient

PASSWORD = "correct horse battery"


async def signed_in(url: str, name: str, reconnect: bool = False) -> RoomClient:
    """A new account `name`, connected and registered."""
    client = RoomClient(url, client_name="test", reconnect=reconnect)
    await client.connect()
    await client.register(name, PASSWORD)
    return client
