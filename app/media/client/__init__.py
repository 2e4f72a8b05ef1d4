"""Client side of the media plane: one peer connection to the room server."""
