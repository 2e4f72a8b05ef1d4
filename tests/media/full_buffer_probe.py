"""Run inside a network namespace whose loopback is rate-limited (tbf): the
kernel queues the fan-out's packets and its send buffer fills, so sendmmsg
meets EAGAIN for real. Prints what was sent, deferred, dropped and received
as JSON (tests/media/test_full_send_buffer.py judges it)."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.media.server.batch import SendBatch
from app.media.server.udp_mux import UdpMux
from tests.media.test_batch_send import Listener, Sink, rtp_packets

LISTENERS = 50
PACKETS = 10
LEAVES_AFTER = 5  # a listener leaves while packets are still waiting for the socket


async def main() -> None:
    mux = UdpMux.open(("127.0.0.1",))
    endpoint = mux.endpoints[0]
    endpoint.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
    listeners = [Listener("AEAD_AES_128_GCM") for _ in range(LISTENERS)]
    sinks = [Sink(lst, endpoint) for lst in listeners]
    batch = SendBatch(endpoint)
    for sink in sinks:
        batch.add(sink)
    packets = rtp_packets(PACKETS)
    offered = 0
    pending_at_leave = False
    for i, packet in enumerate(packets):
        offered += len(batch)
        batch.send(packet)
        if i == LEAVES_AFTER:
            pending_at_leave = batch.stats.sent < offered
            batch.remove(sinks[7])
        await asyncio.sleep(0.002)  # the socket drains a little between packets
    for _ in range(300):  # until the last packet's remainder is out (tbf: ~1 s)
        await asyncio.sleep(0.01)
        if batch.stats.sent + batch.stats.dropped >= offered:
            break
    await asyncio.sleep(0.6)  # what the qdisc still holds reaches the listeners
    received = verified = 0
    for lst in listeners:
        for datagram in lst.datagrams():
            received += 1
            plain = lst.rx.unprotect(datagram)  # raises if corrupt or mis-keyed
            verified += plain in packets
    stats = batch.stats
    print(
        json.dumps(
            {
                "offered": offered,
                "sent": stats.sent,
                "deferred": stats.deferred,
                "dropped": stats.dropped,
                "failed": stats.failed,
                "waits": stats.waits,
                "received": received,
                "verified": verified,
                "pending_at_leave": pending_at_leave,
            }
        )
    )
    for lst in listeners:
        lst.close()
    await mux.close()


asyncio.run(main())
