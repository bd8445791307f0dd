"""Start-up and resident memory of `mihub run` (issue 3, section 7).

1. Memory: a simulated fleet of N miIO devices runs in its own process; `mihub run` onboards
   all of them (plus M MQTT devices when --mqtt-devices is given and the MQTT layer exists);
   once every device is online and the hub has idled a few seconds, its VmRSS is read from
   /proc. Target: under 60 MB with 100 miIO + 100 MQTT devices.
2. Start-up: the store is seeded with 200 devices; `mihub run` is spawned and timed until it
   logs that every device is known (process start, imports and the store load included).
   Target: under 1 s.

    .venv/bin/python bench/startup.py [--devices 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
MODELS = "zhimi.airpurifier.mb3,yeelink.light.color2,chuangmi.camera.ipc019"


def rss_mb(pid: int) -> tuple[float, float]:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def wait_lines(stream: asyncio.StreamReader, needle: str, count: int, limit: float) -> float:
    began = time.perf_counter()
    seen = 0
    while seen < count:
        line = await asyncio.wait_for(stream.readline(), limit)
        if not line:
            raise RuntimeError("the hub exited early")
        if needle in line.decode():
            seen += 1
    return time.perf_counter() - began


async def stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(proc.wait(), 15)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def start_broker(workdir: Path) -> tuple[asyncio.subprocess.Process, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conf = workdir / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    broker = await asyncio.create_subprocess_exec(
        "/usr/sbin/mosquitto", "-c", str(conf), stderr=asyncio.subprocess.DEVNULL
    )
    for _ in range(500):  # until it listens (5 s at most)
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.01)
            continue
        writer.close()
        break
    return broker, f"mqtt://127.0.0.1:{port}"


async def memory(devices: int, zigbee: int, workdir: Path) -> dict[str, float]:
    manifest = workdir / "manifest.json"
    broker, url = await start_broker(workdir)
    spawned = time.perf_counter()
    fleet = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "firmware_sim", "--count", str(devices), "--models", MODELS,
        "--host-base", "127.0.1.10", "--manifest", str(manifest), "--quiet",
        "--mqtt", url, "--zigbee-count", str(zigbee),
    )  # fmt: skip
    try:
        while not manifest.exists():  # a benchmark polling a file
            if fleet.returncode is not None:
                raise RuntimeError("the simulated fleet exited early")
            await asyncio.sleep(0.02)
        fleet_up = time.perf_counter() - spawned  # every device listens, MQTT side connected
        entries = json.loads(manifest.read_text())
        config = {
            "hub": {"data_dir": str(workdir / "data")},
            "mqtt": {"url": url},
            "miio": {
                "bind": "127.0.0.1",
                "devices": [{"host": e["host"], "token": e["token"]} for e in entries],
            },
        }
        path = workdir / "config.yaml"
        path.write_text(yaml.safe_dump(config))
        began = time.perf_counter()
        hub = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hub.cli", "run", "--config", str(path),
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert hub.stderr is not None
            await wait_lines(hub.stderr, "is online", devices, 60)
            onboarded = time.perf_counter() - began
            drain = asyncio.create_task(hub.stderr.read())
            await asyncio.sleep(5)
            rss, peak = rss_mb(hub.pid)
            known = await count_devices(path)
            await stop(hub)
            drain.cancel()
        finally:
            await stop(hub)
    finally:
        await stop(fleet)
        await stop(broker)
    return {
        "devices": devices,
        "fleet_s": fleet_up,
        "onboarded_s": onboarded,
        "rss_mb": rss,
        "peak_mb": peak,
        "known": known,
    }


async def count_devices(config: Path) -> dict[str, int]:
    """Devices the hub stored, per protocol (read with `mihub devices --json`)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", "devices", "--config", str(config), "--json",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, _ = await proc.communicate()
    counts: dict[str, int] = {}
    for device in json.loads(stdout):
        counts[device["protocol"]] = counts.get(device["protocol"], 0) + 1
    return counts


async def seed_store(data_dir: Path, count: int) -> None:
    sys.path.insert(0, str(ROOT))
    from hub.bus import EventBus
    from hub.devices.miio.features import derive_features
    from hub.devices.miio.spec import load_spec
    from hub.devices.model import Device, Protocol
    from hub.devices.registry import DeviceRegistry
    from hub.store import Store

    spec = load_spec("zhimi.airpurifier.mb3")
    features = derive_features(spec).features
    async with Store(data_dir / "mihub.db") as store:
        registry = DeviceRegistry(EventBus(), store)
        for i in range(count):
            device = Device(
                f"miio-{1000 + i}",
                f"Purifier {i}",
                spec.model,
                Protocol.MIIO,
                features=dict(features),
                room="Bench",
            )
            registry.add(device)
            registry.update(device.id, {"power": True, "pm25": 12, "mode": "auto"})


async def startup(count: int, workdir: Path, runs: int = 5) -> dict[str, float]:
    data_dir = workdir / "seeded"
    await seed_store(data_dir, count)
    path = workdir / "seeded.yaml"
    path.write_text(yaml.safe_dump({"hub": {"data_dir": str(data_dir)}}))
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        hub = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hub.cli", "run", "--config", str(path),
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert hub.stderr is not None
        await wait_lines(hub.stderr, f"{count} devices known", 1, 30)
        times.append(time.perf_counter() - began)
        await stop(hub)
    times.sort()
    return {"devices": count, "median_s": times[len(times) // 2], "best_s": times[0]}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--zigbee", type=int, default=100)
    parser.add_argument("--store", type=int, default=200)
    args = parser.parse_args()
    os.chdir(ROOT)
    with tempfile.TemporaryDirectory(prefix="mihub-bench-") as tmp:
        mem = await memory(args.devices, args.zigbee, Path(tmp))
        start = await startup(args.store, Path(tmp))
    print(
        f"mihub run with {mem['devices']} miIO + {args.zigbee} Zigbee2MQTT simulated devices "
        f"(stored per protocol: {mem['known']}; the simulated fleet was up, MQTT side "
        f"included, {mem['fleet_s']:.2f} s after its spawn): miIO all online after "
        f"{mem['onboarded_s']:.2f} s; RSS {mem['rss_mb']:.1f} MB (peak {mem['peak_mb']:.1f} MB)"
    )
    print(
        f"start-up to 'every device known' with {start['devices']} devices in the store: "
        f"median {start['median_s']:.3f} s, best {start['best_s']:.3f} s (process spawn included)"
    )


if __name__ == "__main__":
    asyncio.run(main())
