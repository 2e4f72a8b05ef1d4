"""The broadcast tier's server side: the audience mix as HLS, and who may fetch it."""
