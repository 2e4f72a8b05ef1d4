"""The client side of the room protocol, shared by the desktop app and the bot.

`room_model` is plain state (no I/O); `connection` is the WebSocket shell.
"""
