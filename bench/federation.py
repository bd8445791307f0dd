"""Federation at scale (issue 15): N hubs x M simulated devices on one broker.

Everything on loopback, each part in its own process:

- one private Mosquitto (``$SYS`` every second, to count its messages);
- one simulated fleet of N x M miIO devices (``python -m firmware_sim``: purifiers and lights
  round-robin, real UDP and AES), hub i owning devices [i x M, (i + 1) x M);
- N hubs (``mihub run``), each with ``mqtt.peers: true``: each exports its M devices and
  imports the others' (N x M devices in every registry). History is off (one SQLite writer per
  hub is not what is measured here, and 2 cores are shared).

Once every hub lists every device and hub A's own lamp and hub B's lamp are online:

1. a command from a phone on hub A (``POST /api/devices/{id}/commands``, brightness
   alternating, one at a time, local and remote interleaved) to A's own lamp and to B's lamp;
   p50 / p99 of each and their ratio, ``--gap`` seconds between taps (back to back, the
   previous command's state echoes to every hub land inside the next one). Target: p50
   across hubs < 2 x the local p50;
2. the broker's PUBLISH messages per second received and sent while nothing is commanded
   (the fleet's simulated sensors still drift: each change is a state message);
3. each hub's resident memory.

With ``--in-process``, two hubs (one lamp each) share one process and one event loop and
commands go straight to hub A's registry: what federation costs in the hub's own code, without
the process wake-ups a loaded machine makes expensive.

    .venv/bin/python bench/federation.py [--hubs 10] [--devices 200] [--commands 200]
    .venv/bin/python bench/federation.py --in-process [--commands 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.api.auth import TokenAuth  # noqa: E402
from hub.devices.mqtt.connection import MqttConnection  # noqa: E402
from hub.store import Store  # noqa: E402
from tests.loopback import free_hosts  # noqa: E402
from tests.mqtt_broker import MosquittoBroker, free_port  # noqa: E402

MODELS = "yeelink.light.color2,zhimi.airpurifier.mb3"
BROKER = "sys_interval 1\nmax_queued_messages 100000\n"
"""Mosquitto's defaults otherwise (Nagle's algorithm on, as most homes run it)."""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Hubs:
    def __init__(self, root: Path, count: int, broker: str) -> None:
        self.root, self.count, self.broker = root, count, broker
        self.ports = [free_port() for _ in range(count)]
        self.procs: list[asyncio.subprocess.Process] = []
        self.tokens: list[str] = []

    @property
    def token(self) -> str:
        return self.tokens[0]

    async def count_online(self, http: aiohttp.ClientSession, i: int) -> tuple[int, int]:
        """(devices listed, its own devices online) on hub i."""
        headers = {"Authorization": f"Bearer {self.tokens[i]}"}
        url = f"http://127.0.0.1:{self.ports[i]}/api/devices"
        with contextlib.suppress(aiohttp.ClientError):
            async with http.get(url, headers=headers) as response:
                if response.status == 200:
                    listed = (await response.json())["devices"]
                    online = sum(d["availability"] == "online" and d["hub"] is None for d in listed)
                    return len(listed), online
        return 0, 0

    async def start(self, entries: list[dict[str, Any]], per_hub: int) -> None:
        """One hub at a time, each once its own devices are online: 10 hubs onboarding 200
        devices each at once, on a shared 2-core machine, time out their handshakes."""
        for i in range(self.count):
            data = self.root / f"h{i}"
            data.mkdir()
            mine = entries[i * per_hub : (i + 1) * per_hub]
            devices = "".join(f"    - {{host: {e['host']}, token: {e['token']}}}\n" for e in mine)
            config = data / "config.yaml"
            config.write_text(
                f"hub:\n  id: h{i}\n  data_dir: {data}\n"
                f"api:\n  host: 127.0.0.1\n  port: {self.ports[i]}\n"
                "miio:\n  bind: 127.0.0.1\n  timeout: 2\n  deadline: 10\n  devices:\n" + devices +
                f"mqtt:\n  url: {self.broker}\n  peers: true\n"
                "  zigbee2mqtt: {enabled: false}\n  homeassistant: {enabled: false}\n"
                "history:\n  enabled: false\n"
            )  # fmt: skip
            async with Store(data / "mihub.db") as store:
                self.tokens.append(await TokenAuth(store).issue("bench", ["read", "control"]))
            log = (data / "hub.log").open("ab")
            self.procs.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "hub", "run", "--config", str(config),
                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
            ))  # fmt: skip
            log.close()
            async with aiohttp.ClientSession() as http:

                async def own_online(i: int = i) -> bool:
                    return (await self.count_online(http, i))[1] >= per_hub

                await wait_for(f"hub {i}: its {per_hub} devices online", own_online, 600)

    async def stop(self) -> None:
        for proc in self.procs:
            if proc.returncode is None:
                proc.terminate()
        for proc in self.procs:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 30)
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


async def wait_for(what: str, check: Any, seconds: float) -> None:
    began = time.monotonic()
    while not await check():
        if time.monotonic() - began > seconds:
            raise SystemExit(f"gave up waiting for {what} after {seconds:g} s")
        await asyncio.sleep(1.0)
    print(f"  {what}: {time.monotonic() - began:.1f} s", flush=True)


async def broker_rates(url: str, seconds: float) -> tuple[float, float]:
    """PUBLISH messages per second the broker received (every message on any topic, seen by a
    ``#`` subscriber once the retained ones are through) and sent (its ``$SYS`` counter, less
    what it sent that subscriber)."""
    sent: list[float] = []
    seen = {"live": 0, "all": 0, "retained_at": time.monotonic()}

    def on_sent(topic: str, payload: bytes, retain: bool) -> None:
        sent.append(float(payload))

    def on_any(topic: str, payload: bytes, retain: bool) -> None:
        seen["all"] += 1
        if retain:
            seen["retained_at"] = time.monotonic()
        else:
            seen["live"] += 1

    async with MqttConnection(url, hub_id="bench-sys", prefix="bench/sys") as client:
        await client.wait_connected()
        client.subscribe("#", on_any)
        client.subscribe("$SYS/broker/publish/messages/sent", on_sent)
        while not sent or time.monotonic() - seen["retained_at"] < 2:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        first, live, every, began = sent[-1], seen["live"], seen["all"], time.monotonic()
        await asyncio.sleep(seconds)
        last, took = sent[-1], time.monotonic() - began
        live, every = seen["live"] - live, seen["all"] - every
    return live / took, (last - first - every) / took


async def run(args: argparse.Namespace) -> None:
    total = args.hubs * args.devices
    with tempfile.TemporaryDirectory(prefix="mihub-federation-") as tmp:
        root = Path(tmp)
        async with MosquittoBroker(
            extra_config="sys_interval 1\nmax_queued_messages 100000"
        ) as broker:
            manifest = root / "fleet.json"
            fleet = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "firmware_sim", "--count", str(total), "--models", MODELS,
                "--host-base", free_hosts(total)[0], "--manifest", str(manifest), "--quiet",
                "--tick", "5",
            )  # fmt: skip
            hubs = Hubs(root, args.hubs, broker.url)
            try:
                began = time.monotonic()
                while not manifest.exists():  # noqa: ASYNC110 - a benchmark polling a file
                    await asyncio.sleep(0.2)
                entries = json.loads(manifest.read_text())
                print(f"{total} simulated devices in {time.monotonic() - began:.1f} s", flush=True)
                await hubs.start(entries, args.devices)
                await measure(args, hubs, entries, broker.url)
            finally:
                await hubs.stop()
                fleet.terminate()
                await fleet.wait()


async def measure(
    args: argparse.Namespace, hubs: Hubs, entries: list[dict[str, Any]], broker: str
) -> None:
    total = args.hubs * args.devices
    local, remote = f"miio-{entries[0]['did']}", f"miio-{entries[args.devices]['did']}"
    api = f"http://127.0.0.1:{hubs.ports[0]}/api/devices"
    headers = {"Authorization": f"Bearer {hubs.token}"}
    async with aiohttp.ClientSession(headers=headers) as http:

        async def devices() -> list[dict[str, Any]]:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(api) as response:
                    if response.status == 200:
                        listed: list[dict[str, Any]] = (await response.json())["devices"]
                        return listed
            return []

        progress = [time.monotonic()]

        async def ready() -> bool:
            listed = await devices()
            online = {d["id"] for d in listed if d["availability"] == "online"}
            if time.monotonic() - progress[0] > 30:
                progress[0] = time.monotonic()
                print(f"  ... hub A: {len(listed)} listed, {len(online)} online", flush=True)
            return len(listed) >= total and {local, remote} <= online

        await wait_for(f"hub A lists all {total} devices, both lamps online", ready, 900)
        listed = await devices()
        online = sum(d["availability"] == "online" for d in listed)
        owners = {d["hub"] for d in listed}
        print(
            f"  hub A: {len(listed)} devices ({online} online), owners: {sorted(map(str, owners))}"
        )
        times: dict[str, list[float]] = {local: [], remote: []}
        statuses: dict[str, dict[str, int]] = {local: {}, remote: {}}
        for n in range(args.commands):
            for device in (local, remote) if n % 2 else (remote, local):
                await asyncio.sleep(args.gap)  # a phone taps; the last tap's echoes settle
                body = {"feature": "brightness", "value": 20 + n % 2 * 40}
                began = time.perf_counter()
                async with http.post(f"{api}/{device}/commands", json=body) as response:
                    answer = await response.json()
                times[device].append((time.perf_counter() - began) * 1000)
                if args.verbose:
                    where = "local " if device == local else "remote"
                    print(f"  {where} {times[device][-1]:.1f} ms")
                status = answer.get("status", f"http {response.status}")
                statuses[device][status] = statuses[device].get(status, 0) + 1
    for name, device in (("local (A's own lamp)", local), ("remote (B's lamp via MQTT)", remote)):
        t = times[device]
        print(f"{name}: p50 {statistics.median(t):.1f} ms, p99 {percentile(t, 0.99):.1f} ms, "
              f"mean {statistics.fmean(t):.1f} ms, answers {statuses[device]}")  # fmt: skip
    ratio = statistics.median(times[remote]) / statistics.median(times[local])
    print(f"p50 across hubs / local: {ratio:.2f} (target < 2: {'met' if ratio < 2 else 'NOT met'})")
    received, sent = await broker_rates(broker, args.idle)
    print(f"broker at idle ({args.idle:g} s): {received:.0f} PUBLISH/s received, {sent:.0f}/s sent")
    sizes = [rss_mb(p.pid) for p in hubs.procs]
    print("hub RSS (MB): " + ", ".join(f"{s:.0f}" for s in sizes)
          + f"; mean {statistics.fmean(sizes):.0f}, max {max(sizes):.0f}")  # fmt: skip


async def in_process(args: argparse.Namespace) -> None:
    from firmware_sim.fleet import DeviceConfig, Fleet
    from hub.app import Hub
    from hub.config import Config

    def config(hub_id: str, fleet: Fleet, broker: str, data: Path, peers: bool) -> Config:
        return Config.model_validate({
            "hub": {"id": hub_id, "data_dir": str(data / hub_id)}, "api": {"port": 0},
            "history": {"enabled": False},
            "miio": {"bind": "127.0.0.1", "devices": [
                {"host": d.host, "token": d.token} for d in fleet.devices]},
            "mqtt": {"url": broker, "peers": peers},
        })  # fmt: skip

    host_a, host_b = free_hosts(2)
    with tempfile.TemporaryDirectory(prefix="mihub-federation-") as tmp:
        async with (
            MosquittoBroker(extra_config=BROKER) as broker,
            Fleet([DeviceConfig("yeelink.light.color2", host_a)]) as fleet_a,
            Fleet([DeviceConfig("yeelink.light.color2", host_b)]) as fleet_b,
            Hub(config("b", fleet_b, broker.url, Path(tmp), False)) as b,
            Hub(config("a", fleet_a, broker.url, Path(tmp), True)) as a,
        ):
            local, remote = f"miio-{fleet_a.devices[0].did}", f"miio-{fleet_b.devices[0].did}"

            async def ready() -> bool:
                devices = a.registry.devices
                return all(d in devices and devices[d].availability == "online"
                           for d in (local, remote))  # fmt: skip

            await wait_for("both lamps online on hub A", ready, 60)
            times: dict[str, list[float]] = {local: [], remote: []}
            for n in range(args.commands):
                for device in (local, remote) if n % 2 else (remote, local):
                    await asyncio.sleep(args.gap)
                    began = time.perf_counter()
                    result = await a.registry.command(device, "brightness", 20 + n % 2 * 40)
                    times[device].append((time.perf_counter() - began) * 1000)
                    assert str(result.status) == "confirmed", result
            del b
    for name, device in (("local, in process", local), ("remote, in process", remote)):
        t = times[device]
        print(f"{name}: p50 {statistics.median(t):.2f} ms, p99 {percentile(t, 0.99):.2f} ms")
    ratio = statistics.median(times[remote]) / statistics.median(times[local])
    print(f"p50 across hubs / local, in process: {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hubs", type=int, default=10)
    parser.add_argument("--devices", type=int, default=200, help="simulated devices per hub")
    parser.add_argument("--commands", type=int, default=200, help="commands to each lamp")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds the broker is watched")
    parser.add_argument("--gap", type=float, default=0.2, help="seconds between two commands")
    parser.add_argument("--verbose", action="store_true", help="print every command's time")
    parser.add_argument("--in-process", action="store_true", help="two hubs in this process")
    args = parser.parse_args()
    if args.hubs < 2:
        parser.error("--hubs: at least 2 (a command goes from hub A to hub B)")
    asyncio.run(in_process(args) if args.in_process else run(args))


if __name__ == "__main__":
    main()
