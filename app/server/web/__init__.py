"""The web listener: a room's page for browsers, served by the room server itself."""
