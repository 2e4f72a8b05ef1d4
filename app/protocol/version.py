"""The protocol version exchanged in `hello`."""

# Bumped only for changes an older peer cannot ignore; additions keep it.
# 2: the audience is a summary (counts, reaction bursts, a moderator's paged
# list) instead of an event per listener; a protocol-1 client would show an
# empty audience, so it is refused with a message that says why.
PROTOCOL_VERSION = 2
