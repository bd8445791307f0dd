"""MQTT ingest: state messages per second the hub takes in end to end (issue 3, section 7).

A private Mosquitto on a free loopback port. A publisher process (raw socket, QoS 0,
pre-encoded packets, so it is never the bottleneck) blasts N Zigbee2MQTT state messages from
100 simulated WSDCGQ11LM sensors; temperature and linkquality change in every message. Two
subscribers take turns on the same broker in the same run:

- bare paho: a separate process, paho's own ``loop()``, counting messages in ``on_message``;
- the hub: MqttConnection + Zigbee2MqttAdapter + DeviceRegistry + EventBus in this process,
  counting the ``StateChanged`` of ``temperature`` (one per message), so every message went
  paho parse -> json.loads -> registry.update -> bus.

Each rate is (messages - 1) / (last arrival - first arrival); rounds alternate and the best
of each is kept. Target: hub >= 20,000 msg/s and >= 0.7 x bare paho.

    .venv/bin/python bench/ingest.py [--messages 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import struct
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEVICES = 100
BASE = "zigbee2mqtt"
BROKER_TUNING = "max_queued_messages 0\nmax_queued_bytes 0\nset_tcp_nodelay true\n"


def _packet(command: int, body: bytes) -> bytes:
    length, encoded = len(body), bytearray()
    while True:
        byte, length = length % 128, length // 128
        encoded.append(byte | (0x80 if length else 0))
        if not length:
            return bytes([command]) + bytes(encoded) + body


def _string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("!H", len(raw)) + raw


def publish_packet(topic: str, payload: bytes, retain: bool = False) -> bytes:
    return _packet(0x31 if retain else 0x30, _string(topic) + payload)


def state_payload(seq: int) -> bytes:
    state = {
        "battery": 97,
        "humidity": 48.2,
        "linkquality": 60 + seq % 97,
        "pressure": 1012.4,
        "temperature": round(18 + (seq % 997) / 100, 2),
        "voltage": 3005,
    }
    return json.dumps(state, separators=(",", ":")).encode()


def announcement() -> list[bytes]:
    """Retained bridge/devices and availability for the 100 sensors (z2m's own shapes)."""
    from firmware_sim.mqtt.catalog import MODELS

    model = MODELS["WSDCGQ11LM"]
    entries = [
        {
            "ieee_address": f"0x00158d00{i:08x}",
            "friendly_name": f"sensor_{i}",
            "type": "EndDevice",
            "definition": model.definition(),
        }
        for i in range(DEVICES)
    ]
    packets = [publish_packet(f"{BASE}/bridge/devices", json.dumps(entries).encode(), True)]
    packets += [
        publish_packet(f"{BASE}/sensor_{i}/availability", b"online", True) for i in range(DEVICES)
    ]
    return packets


def run_publisher(port: int, count: int, announce: bool) -> None:
    """Child process: connect, send everything as fast as the socket takes it, disconnect."""
    if announce:
        packets = announcement()
    else:
        packets = [
            publish_packet(f"{BASE}/sensor_{seq % DEVICES}", state_payload(seq))
            for seq in range(count)
        ]
    with socket.create_connection(("127.0.0.1", port)) as sock:
        connect = _string("MQTT") + bytes([4, 2]) + struct.pack("!H", 60) + _string("bench-pub")
        sock.sendall(_packet(0x10, connect))
        if sock.recv(4)[:1] != b"\x20":
            raise SystemExit("no CONNACK")
        for start in range(0, len(packets), 2000):
            sock.sendall(b"".join(packets[start : start + 2000]))
        sock.sendall(b"\xe0\x00")  # DISCONNECT
        sock.recv(1)  # the broker closes after DISCONNECT: everything was read


def run_bare(port: int, count: int) -> None:
    """Child process: a plain paho subscriber on paho's own loop, counting."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    seen = {"n": 0.0, "first": 0.0, "last": 0.0}

    def on_message(client: Any, userdata: Any, message: Any) -> None:
        now = time.perf_counter()
        seen["n"] += 1
        if seen["n"] == 1:
            seen["first"] = now
        seen["last"] = now

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-bare")
    client.on_message = on_message
    client.on_subscribe = lambda *args: print("ready", flush=True)
    client.on_connect = lambda c, *args: c.subscribe(f"{BASE}/+", 0)
    client.connect("127.0.0.1", port)
    while seen["n"] < count:
        client.loop(0.5)
        if seen["n"] and time.perf_counter() - seen["last"] > 3:
            break
    client.disconnect()
    print(json.dumps(seen), flush=True)


async def publish(port: int, count: int, announce: bool = False) -> None:
    args = ["--role", "publisher", "--port", str(port), "--messages", str(count)]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, *args, *(["--announce"] if announce else [])
    )
    if await proc.wait():
        raise RuntimeError("the publisher failed")


async def bare_round(port: int, count: int) -> float:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        *("--role", "bare", "--port", str(port), "--messages", str(count)),
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert await proc.stdout.readline() == b"ready\n"
    await publish(port, count)
    seen = json.loads(await proc.stdout.readline())
    await proc.wait()
    return _rate(int(seen["n"]), seen["first"], seen["last"], count)


async def hub_round(port: int, count: int, unbuffered: bool = False) -> float:
    from hub.bus import DeviceAdded, EventBus, StateChanged
    from hub.devices.mqtt import MqttConnection
    from hub.devices.mqtt.paho_client import PahoClient
    from hub.devices.mqtt.zigbee2mqtt import Zigbee2MqttAdapter
    from hub.devices.registry import DeviceRegistry

    if unbuffered:  # paho's own recv calls (2-3 per message), to show what buffering buys
        PahoClient._sock_recv = PahoClient.__mro__[1]._sock_recv  # type: ignore[attr-defined,method-assign]
    seen = {"n": 0.0, "first": 0.0, "last": 0.0}
    done = asyncio.Event()
    loaded = asyncio.Event()

    def count_temperature(event: StateChanged) -> None:
        if event.feature == "temperature":
            now = time.perf_counter()
            seen["n"] += 1
            if seen["n"] == 1:
                seen["first"] = now
            seen["last"] = now
            if seen["n"] >= count:
                done.set()

    bus = EventBus()
    registry = DeviceRegistry(bus)

    def added(event: DeviceAdded) -> None:
        if len(registry.devices) >= DEVICES:
            loaded.set()

    bus.subscribe(DeviceAdded, added)
    async with (
        MqttConnection(f"mqtt://127.0.0.1:{port}", hub_id="bench", bus=bus) as connection,
        Zigbee2MqttAdapter(connection, registry),
    ):
        await asyncio.wait_for(loaded.wait(), 10)
        bus.subscribe(StateChanged, count_temperature)
        await publish(port, count)
        progress = -1.0
        while not done.is_set() and seen["n"] != progress:  # stop after 3 s without progress
            progress = seen["n"]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 3)
    registry.close()
    return _rate(int(seen["n"]), seen["first"], seen["last"], count)


def _rate(n: int, first: float, last: float, expected: int) -> float:
    if n < expected:
        print(f"  warning: {expected - n} of {expected} messages did not arrive", flush=True)
    return (n - 1) / (last - first) if n > 1 and last > first else 0.0


async def main(count: int, rounds: int, unbuffered: bool) -> None:
    from tests.mqtt_broker import MosquittoBroker

    async with MosquittoBroker(extra_config=BROKER_TUNING) as broker:
        await publish(broker.port, 0, announce=True)
        bare: list[float] = []
        hub: list[float] = []
        plain: list[float] = []
        for index in range(rounds):
            bare.append(await bare_round(broker.port, count))
            hub.append(await hub_round(broker.port, count))
            print(f"round {index + 1}: bare paho {bare[-1]:,.0f}/s, hub {hub[-1]:,.0f}/s")
        if unbuffered:
            plain.append(await hub_round(broker.port, count, unbuffered=True))
    best_bare, best_hub = max(bare), max(hub)
    print(f"messages per round: {count:,} from {DEVICES} devices, QoS 0")
    print(f"bare paho subscriber: {best_bare:,.0f} msg/s (best of {rounds})")
    print(f"hub end to end:       {best_hub:,.0f} msg/s (best of {rounds})")
    print(f"ratio hub / bare:     {best_hub / best_bare:.2f}")
    if plain:
        print(f"hub with paho's own unbuffered reads: {plain[0]:,.0f} msg/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--unbuffered", action="store_true", help="also run paho's own reads")
    parser.add_argument("--role", choices=["main", "publisher", "bare"], default="main")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--announce", action="store_true")
    opts = parser.parse_args()
    if opts.role == "publisher":
        run_publisher(opts.port, opts.messages, opts.announce)
    elif opts.role == "bare":
        run_bare(opts.port, opts.messages)
    else:
        asyncio.run(main(opts.messages, opts.rounds, opts.unbuffered))
