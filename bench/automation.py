"""Event-to-action latency of an MQTT-triggered automation, next to a bare MQTT echo.

The automation listens on ``bench/trigger``, checks the JSON payload's ``value`` (a
``trigger`` condition) and publishes the trigger's payload to ``bench/action``. This script
is the probe: it publishes numbered triggers at 200/s and 1,000/s (QoS 0) and times each
reply. Three servers take turns
on one private Mosquitto, round after round, so the shared machine's noise falls on all:

- floor: a bare paho echo in its own process (paho's own loop, TCP_NODELAY), same condition;
- mihub: ``mihub run`` with that one automation (the real hub: MqttConnection, bus, engine);
- mihub + 1,000: the same with 1,000 more automations, each on its own topic.

Then, in this process, the engine's CPU time per event with 1 and with 1,001 automations
(``time.process_time`` around the bus, the MQTT connection left out).

    .venv/bin/python bench/automation.py [--seconds 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ECHO = """
import json, socket, sys
import paho.mqtt.client as mqtt
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, "floor-echo")
c.on_socket_open = lambda cl, ud, s: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
c.on_connect = lambda cl, ud, f, rc, p: cl.subscribe("bench/trigger")
def on_message(cl, ud, m):
    if json.loads(m.payload).get("value") == 1:
        cl.publish("bench/action", m.payload)
c.on_message = on_message
c.connect("127.0.0.1", int(sys.argv[1]))
try:
    c.loop_forever()
except KeyboardInterrupt:
    pass
"""

ECHO_AUTOMATION: dict[str, Any] = {
    "id": "echo",
    "mode": "parallel",
    "max": 1000,
    "max_rate": 100_000,  # a firehose on purpose: far above the loop guard's default 20/s
    "trigger": [{"platform": "mqtt", "topic": "bench/trigger"}],
    "condition": [{"condition": "trigger", "path": "payload_json.value", "state": 1}],
    "action": [{"action": "publish", "topic": "bench/action", "payload": "{trigger.payload}"}],
}  # fmt: skip


def others(count: int) -> list[dict[str, Any]]:
    return [
        {"id": f"other-{i}", "trigger": [{"platform": "mqtt", "topic": f"bench/other/{i}"}],
         "action": [{"action": "publish", "topic": f"bench/other-action/{i}"}]}
        for i in range(count)
    ]  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Probe:
    """Publishes numbered triggers at a fixed rate and times each echoed action."""

    def __init__(self, port: int) -> None:
        self.sent: dict[int, float] = {}
        self.latency: dict[int, float] = {}
        self.lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, f"probe-{os.getpid()}")
        self.client.on_socket_open = lambda c, u, s: s.setsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
        )
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe("bench/action")
        self.client.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        now = time.perf_counter()
        seq = json.loads(msg.payload)["seq"]
        with self.lock:
            if seq in self.sent and seq not in self.latency:
                self.latency[seq] = now - self.sent[seq]

    def wait_ready(self, seconds: float = 15.0) -> None:
        """Until the server answers (it has subscribed): one trigger every 50 ms."""
        deadline = time.monotonic() + seconds
        seq = -1
        while time.monotonic() < deadline:
            with self.lock:
                if any(s < 0 for s in self.latency):
                    return
                self.sent[seq] = time.perf_counter()
            self.client.publish("bench/trigger", json.dumps({"value": 1, "seq": seq}))
            seq -= 1
            time.sleep(0.05)
        raise RuntimeError("the server never answered")

    def run(self, rate: float, seconds: float) -> dict[str, float]:
        with self.lock:
            self.sent.clear()
            self.latency.clear()
        count = int(rate * seconds)
        start = time.perf_counter()
        for seq in range(count):
            target = start + seq / rate
            while (delay := target - time.perf_counter()) > 0:
                time.sleep(min(delay, 0.001))
            payload = json.dumps({"value": 1, "seq": seq}).encode()
            with self.lock:
                self.sent[seq] = time.perf_counter()
            self.client.publish("bench/trigger", payload)
        time.sleep(1.0)
        with self.lock:
            values = sorted(v * 1000 for v in self.latency.values())
        if not values:
            return {"p50": float("nan"), "p99": float("nan"), "max": float("nan"), "lost": count}
        return {
            "p50": statistics.median(values),
            "p99": values[min(len(values) - 1, int(len(values) * 0.99))],
            "max": values[-1],
            "lost": count - len(values),
        }

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def hub_config(tmp: Path, port: int, extra: int, round_number: int) -> Path:
    config = {
        "hub": {"id": "bench", "data_dir": str(tmp / f"data-{extra}-{round_number}")},
        "mqtt": {"url": f"mqtt://127.0.0.1:{port}",
                 "zigbee2mqtt": {"enabled": False}, "homeassistant": {"enabled": False}},
        "automations": [ECHO_AUTOMATION, *others(extra)],
    }  # fmt: skip
    path = tmp / f"hub-{extra}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


Results = dict[tuple[str, int], list[dict[str, float]]]


def measure(label: str, argv: list[str], port: int, seconds: float, results: Results) -> None:
    server = subprocess.Popen(argv, cwd=ROOT, stderr=subprocess.DEVNULL)
    probe = Probe(port)
    try:
        probe.wait_ready()
        probe.run(200, 1)  # warm up
        for rate in (200, 1000):
            before = cpu_seconds(server.pid)
            result = probe.run(rate, seconds)
            result["cpu_us"] = (cpu_seconds(server.pid) - before) / (rate * seconds) * 1e6
            results.setdefault((label, rate), []).append(result)
            print(
                f"  {label:<16} {rate:>5}/s  p50 {result['p50']:6.3f} ms  "
                f"p99 {result['p99']:6.3f} ms  max {result['max']:7.3f} ms  "
                f"lost {result['lost']:>4.0f}  cpu/event {result['cpu_us']:5.0f} us",
                flush=True,
            )
    finally:
        probe.close()
        stop(server)


def latency(port: int, tmp: Path, seconds: float, rounds: int) -> None:
    results: Results = {}
    for round_number in range(1, rounds + 1):
        print(f"round {round_number}", flush=True)
        measure("floor (paho)", [sys.executable, "-c", ECHO, str(port)], port, seconds, results)
        for extra, label in ((0, "mihub"), (1000, "mihub + 1,000")):
            config = hub_config(tmp, port, extra, round_number)
            argv = [sys.executable, "-m", "hub.cli", "run", "--config", str(config)]
            measure(label, argv, port, seconds, results)
    print("\nmedian of the rounds (max: the worst round; lost: all rounds)")
    floor: dict[int, dict[str, float]] = {}
    for (label, rate), rows in results.items():
        summary = {key: statistics.median(r[key] for r in rows) for key in ("p50", "p99", "cpu_us")}
        summary["max"] = max(r["max"] for r in rows)
        summary["lost"] = sum(r["lost"] for r in rows)
        if label.startswith("floor"):
            floor[rate] = summary
        base = floor[rate]
        print(
            f"  {label:<16} {rate:>5}/s  p50 {summary['p50']:6.3f} ms "
            f"({summary['p50'] / base['p50']:.2f}x)  p99 {summary['p99']:6.3f} ms "
            f"({summary['p99'] / base['p99']:.2f}x)  max {summary['max']:7.3f} ms  "
            f"lost {summary['lost']:.0f}  cpu/event {summary['cpu_us']:.0f} us"
        )


async def engine_cost(extra: int, events: int) -> float:
    """CPU seconds per matched event inside the engine (bus -> trigger -> condition -> reply)."""
    from hub.bus import EventBus, MqttMessage
    from hub.devices.registry import DeviceRegistry
    from hub.scenes.engine import AutomationEngine

    sent = 0

    async def publish(topic: str, payload: bytes, qos: int, retain: bool) -> None:
        nonlocal sent
        sent += 1

    bus = EventBus()
    registry = DeviceRegistry(bus)
    engine = AutomationEngine(registry, bus, publish=publish)
    await engine.start([ECHO_AUTOMATION, *others(extra)])
    payloads = [json.dumps({"value": 1, "seq": seq}).encode() for seq in range(events)]
    gc.collect()
    began = time.process_time()
    for number, payload in enumerate(payloads):
        bus.publish(MqttMessage("bench/trigger", payload))
        if number % 100 == 99:
            await asyncio.sleep(0)  # let the loop breathe as it would between messages
    spent = time.process_time() - began
    await engine.stop()
    assert sent == events, (sent, events)
    return spent / events


def in_process(rounds: int, events: int = 20_000) -> None:
    costs: dict[int, list[float]] = {0: [], 1000: []}
    for _ in range(rounds):
        for extra in costs:  # alternate, so drift in the machine falls on both
            costs[extra].append(asyncio.run(engine_cost(extra, events)))
    one, many = (statistics.median(costs[e]) * 1e6 for e in (0, 1000))
    print(f"\nengine CPU per event, in process, median of {rounds} rounds of {events:,}:")
    for label, extra, value in (("1 automation", 0, one), ("1,001 automations", 1000, many)):
        rows = ", ".join(f"{c * 1e6:.2f}" for c in costs[extra])
        print(f"  {label:<18} {value:6.2f} us   (rounds: {rows})")
    print(f"  ratio {many / one:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    in_process(max(args.rounds, 5))
    if args.skip_latency:
        return
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="mihub-bench-") as tmp_name:
        tmp = Path(tmp_name)
        conf = tmp / "mosquitto.conf"
        conf.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "set_tcp_nodelay true\n"  # else the broker's replies wait on delayed ACKs (~40 ms)
        )
        broker = subprocess.Popen(["/usr/sbin/mosquitto", "-c", str(conf)],
                                  stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            time.sleep(0.3)
            latency(port, tmp, args.seconds, args.rounds)
        finally:
            broker.terminate()
            broker.wait()


if __name__ == "__main__":
    main()
