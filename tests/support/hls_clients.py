"""Many HLS clients in one process (aiohttp), as players poll a live playlist.

`python -m tests.support.hls_clients URL CLIENTS POLLS` polls URL (a
playlist) POLLS times, a second apart, from each of CLIENTS concurrent
clients, each fetching the files the playlist lists once (starting, like
a player, from the init section and the last three segments), and prints one
JSON object: file name -> how many clients fetched it, plus "_playlists"
(playlist fetches), "_gone" (files that had left the window by the time a
slow client asked: skipped, as a player does) and "_fewest_segments" (the
least any one client got). Polls, not a duration: a loaded machine makes the
run longer, never the check weaker.
A separate process, so that the clients never share an event loop (or a
core's time slices) with the server they measure.
"""

import asyncio
import collections
import json
import re
import sys
import time

import aiohttp

_LISTED = re.compile(r'^([0-9a-f]{8}-[0-9]{6}\.m4s)$|URI="([^"]+)"', re.MULTILINE)


async def listen(
    http: aiohttp.ClientSession, playlist_url: str, polls: int, got: collections.Counter[str]
) -> None:
    base = playlist_url.rsplit("/", 1)[0]
    seen: set[str] = set()
    segments = 0
    for _ in range(polls):
        started = time.monotonic()
        async with http.get(playlist_url) as response:
            if response.status != 200:
                raise RuntimeError(f"playlist: {response.status} {await response.text()}")
            playlist = await response.text()
        got["_playlists"] += 1
        listed = [found.group(1) or found.group(2) for found in _LISTED.finditer(playlist)]
        if not seen:  # a player starts near the live edge: the init and the last 3
            listed = listed[:1] + listed[-3:]
        for name in listed:
            if name in seen:
                continue
            seen.add(name)
            async with http.get(f"{base}/{name}") as response:
                body = await response.read()
            if response.status == 404:  # it left the window while we were slow: skip it
                got["_gone"] += 1
                continue
            if response.status != 200 or len(body) < 100:
                raise RuntimeError(f"{name}: {response.status}, {len(body)} bytes")
            got[name] += 1
            segments += name.endswith(".m4s")
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    fewest = got.get("_fewest_segments")
    got["_fewest_segments"] = segments if fewest is None else min(fewest, segments)


async def run(playlist_url: str, clients: int, polls: int) -> collections.Counter[str]:
    got: collections.Counter[str] = collections.Counter()
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as http:
        await asyncio.gather(*(listen(http, playlist_url, polls, got) for _ in range(clients)))
    return got


def main() -> None:
    url, clients, polls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    print(json.dumps(asyncio.run(run(url, clients, polls))))


if __name__ == "__main__":
    main()
