"""The room server: a sans-I/O room core wrapped in thin HTTP/WebSocket and storage shells."""
