"""The HTTP and WebSocket shell of the room server (aiohttp)."""
