"""The protocol version exchanged in `hello`."""

# Bumped only for changes an older peer cannot ignore; additions keep it.
PROTOCOL_VERSION = 1
