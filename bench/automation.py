"""Event-to-action latency of an MQTT-triggered automation, next to a bare MQTT echo.

The automation listens on ``bench/trigger``, checks the JSON payload's ``value`` and
publishes the trigger's payload to ``bench/action``. A separate probe process publishes at
200/s and 1,000/s (QoS 0) and times each reply; the same probe runs against a bare Python
paho echo (TCP_NODELAY) on the same private Mosquitto, in the same run: the floor.
Then the hub's CPU time per event is compared with 1 and with 1,001 automations loaded.

    .venv/bin/python bench/automation.py [--seconds 5]
"""

from __future__ import annotations

import argparse
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

import paho.mqtt.client as mqtt
import yaml

ROOT = Path(__file__).resolve().parents[1]

ECHO = """
import socket, sys, paho.mqtt.client as mqtt
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, "floor-echo")
c.on_socket_open = lambda cl, ud, s: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
c.on_connect = lambda cl, ud, f, rc, p: cl.subscribe("bench/trigger")
def on_message(cl, ud, m):
    if json.loads(m.payload).get("value") == 1:
        cl.publish("bench/action", m.payload)
import json
c.on_message = on_message
c.connect("127.0.0.1", int(sys.argv[1]))
try:
    c.loop_forever()
except KeyboardInterrupt:
    pass
"""


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
        time.sleep(0.3)

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        now = time.perf_counter()
        seq = json.loads(msg.payload)["seq"]
        with self.lock:
            if seq in self.sent and seq not in self.latency:
                self.latency[seq] = now - self.sent[seq]

    def run(self, rate: float, seconds: float) -> dict[str, float]:
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


def hub_config(tmp: Path, port: int, extra: int) -> Path:
    automations = [
        {
            "id": "echo",
            "mode": "parallel",
            "max": 1000,
            "trigger": [
                {
                    "platform": "mqtt",
                    "topic": "bench/trigger",
                    "value_path": "value",
                    "payload": "1",
                }
            ],
            "action": [
                {"action": "publish", "topic": "bench/action", "payload": "{trigger.payload}"}
            ],
        }
    ]
    automations += [
        {
            "id": f"other-{i}",
            "trigger": [{"platform": "mqtt", "topic": f"bench/other/{i}"}],
            "action": [{"action": "publish", "topic": f"bench/other-action/{i}"}],
        }
        for i in range(extra)
    ]
    data_dir = tmp / f"data-{extra}"
    config = {
        "hub": {"id": "bench", "data_dir": str(data_dir)},
        "mqtt": {"url": f"mqtt://127.0.0.1:{port}",
                 "zigbee2mqtt": {"enabled": False}, "homeassistant": {"enabled": False}},
        "automations": automations,
    }  # fmt: skip
    path = tmp / f"hub-{extra}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def measure(label: str, server: subprocess.Popen[bytes], port: int, seconds: float) -> None:
    time.sleep(1.5)
    probe = Probe(port)
    try:
        probe.run(200, 1)  # warm up
        for rate in (200, 1000):
            before = cpu_seconds(server.pid)
            result = probe.run(rate, seconds)
            cpu = cpu_seconds(server.pid) - before
            per_event_us = cpu / (rate * seconds) * 1e6
            print(
                f"{label:<34} {rate:>5}/s  p50 {result['p50']:6.3f} ms  "
                f"p99 {result['p99']:6.3f} ms  max {result['max']:7.3f} ms  "
                f"lost {result['lost']:>4}  cpu/event {per_event_us:6.1f} us",
                flush=True,
            )
    finally:
        probe.close()


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
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
            echo = subprocess.Popen([sys.executable, "-c", ECHO, str(port)])
            try:
                measure("floor: bare paho echo", echo, port, args.seconds)
            finally:
                stop(echo)
            for extra in (0, 1000):
                hub = subprocess.Popen(
                    [sys.executable, "-m", "hub.cli", "run", "--config",
                     str(hub_config(tmp, port, extra))],
                    cwd=ROOT, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                try:
                    measure(f"mihub, {1 + extra} automation(s)", hub, port, args.seconds)
                finally:
                    stop(hub)
        finally:
            broker.terminate()
            broker.wait()


if __name__ == "__main__":
    main()
