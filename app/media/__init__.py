"""Media plane: the only package that imports aiortc.

- ``ice``: ICE settings (servers, gathered host addresses).
- ``server``: room media endpoint - decode, mix on a 20 ms clock, encode once, fan out.
- ``client``: peer connection helpers for the desktop app, bots and tests.
"""
