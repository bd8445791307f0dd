"""Start-up and resident memory of `mihub run` (issue 3, section 7).

1. Memory: a simulated fleet of N miIO devices runs in its own process; `mihub run` onboards
   all of them (plus M MQTT devices when --mqtt-devices is given and the MQTT layer exists);
   once every device is online and the hub has idled a few seconds, its VmRSS is read from
   /proc. Target: under 60 MB with 100 miIO + 100 MQTT devices.
2. Start-up: the store is seeded with 200 devices; `mihub run` is spawned and timed until it
   logs that every device is known (process start, imports and the store load included).
   Target: under 1 s.
3. Start-up against a floor (issue 13, item 6): `mihub run` with the seeded store and one
   automation of every kind (tests/scenes/examples.yaml) is timed from spawn to its first
   answer on /api/health (the API starts after the automations), in rounds interleaved with
   a bare `python -c "import aiohttp.web"` timed from spawn to exit. Target: at most 1.3x.

   With --baseline DIR (a checkout of another commit, e.g. from `git archive`), that hub is
   timed in the same rounds too. CPU seconds (every thread, read from /proc when /api/health
   first answers) are reported beside the wall times: they move less with the machine's load.
   The memory run also prints the hub's resident memory by mapping. BENCH_ECHO=1 in the
   environment echoes the hub's log lines while the bench waits on them.

    .venv/bin/python bench/startup.py [--devices 100] [--only memory|startup|health]
        [--rounds 10] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
MODELS = "zhimi.airpurifier.mb3,yeelink.light.color2,chuangmi.camera.ipc019"


def rss_by_mapping(pid: int) -> dict[str, float]:
    """Resident MB per mapping kind: the heap, anonymous memory (pymalloc arenas, thread
    arenas and stacks), each shared library and the rest; and the process's thread count."""
    kinds: dict[str, float] = {}
    name = ""
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if "-" in head[0] and len(head) >= 5:  # a mapping's first line
            path = head[5] if len(head) > 5 else "[anonymous]"
            name = path.rsplit("/", 1)[-1] if path.startswith("/") else path
        elif head[0] == "Rss:":
            kinds[name] = kinds.get(name, 0.0) + int(head[1]) / 1024
    kinds["threads"] = float(len(list(Path(f"/proc/{pid}/task").iterdir())))
    return kinds


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
        if os.environ.get("BENCH_ECHO"):
            print(line.decode(), end="", file=sys.stderr)
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


async def memory(devices: int, zigbee: int, workdir: Path, models: str) -> dict[str, Any]:
    manifest = workdir / "manifest.json"
    broker, url = await start_broker(workdir)
    spawned = time.perf_counter()
    fleet = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "firmware_sim", "--count", str(devices), "--models", models,
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
        with socket.socket() as probe:  # the API on a free port: 8321 may be taken
            probe.bind(("127.0.0.1", 0))
            api_port = probe.getsockname()[1]
        config = {
            "hub": {"data_dir": str(workdir / "data")},
            "api": {"host": "127.0.0.1", "port": api_port},
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
            stderr=asyncio.subprocess.PIPE, env=bytecode_env(),
        )  # fmt: skip
        try:
            assert hub.stderr is not None
            await wait_lines(hub.stderr, "is online", devices, 60)
            onboarded = time.perf_counter() - began
            drain = asyncio.create_task(hub.stderr.read())
            await asyncio.sleep(5)
            rss, peak = rss_mb(hub.pid)
            where = rss_by_mapping(hub.pid)
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
        "where": where,
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


async def health_ready(port: int, limit: float) -> None:
    """Return once GET /api/health on ``port`` answers 200 (polled every 2 ms)."""
    deadline = time.perf_counter() + limit
    request = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    while time.perf_counter() < deadline:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.002)
            continue
        writer.write(request)
        status = await reader.readline()
        writer.close()
        if b" 200 " in status:
            return
        await asyncio.sleep(0.002)
    raise RuntimeError("the hub did not answer /api/health in time")


def bytecode_env() -> dict[str, str]:
    """The environment, minus PYTHONDONTWRITEBYTECODE: an installed hub starts from the .pyc
    files pip wrote, as aiohttp (the floor) does; compiling ~60 modules from source on every
    start would add ~0.3 s that no installed hub pays."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, every thread) a live process has used so far."""
    return (
        sum(
            int((task / "schedstat").read_text().split()[0])
            for task in Path(f"/proc/{pid}/task").iterdir()
        )
        / 1e9
    )


async def spawn_timed(
    *argv: str, port: int | None = None, cwd: Path | None = None
) -> tuple[float, float]:
    """Seconds from spawn to exit, or (with ``port``) to the first answer on /api/health; and
    the CPU seconds the process had used by then (less sensitive to the machine's load)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *argv, env=bytecode_env(), stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL, cwd=cwd,
    )  # fmt: skip
    try:
        if port is None:
            await proc.wait()
            took = time.perf_counter() - began
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
            return took, cpu
        await health_ready(port, 60)
        took = time.perf_counter() - began
        return took, cpu_seconds(proc.pid)
    finally:
        await stop(proc)


async def health(
    count: int, workdir: Path, rounds: int, baseline: Path | None = None
) -> dict[str, list[float]]:
    data_dir = workdir / "health"
    await seed_store(data_dir, count)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    examples = yaml.safe_load((ROOT / "tests/scenes/examples.yaml").read_text())
    config = {
        "hub": {"data_dir": str(data_dir)},
        "api": {"host": "127.0.0.1", "port": port},
        **examples,
    }
    path = workdir / "health.yaml"
    path.write_text(yaml.safe_dump(config))
    hub = (sys.executable, "-m", "hub.cli", "run", "--config", str(path))
    floor = (sys.executable, "-c", "import aiohttp.web")
    order: list[tuple[str, tuple[str, ...], int | None, Path | None]] = [
        ("floor", floor, None, None), ("hub", hub, port, ROOT),
    ]  # fmt: skip
    if baseline is not None:  # another checkout of the hub (python -m finds it first in cwd)
        order.append(("baseline", hub, port, baseline))
    times: dict[str, list[float]] = {"load": []}
    for name, *_ in order:
        times[name], times[f"{name}_cpu"] = [], []
    for _, argv, wait_port, cwd in order[1:]:  # warm the page cache, write the .pyc files once
        await spawn_timed(*argv, port=wait_port, cwd=cwd)
    for i in range(rounds):
        times["load"].append(os.getloadavg()[0])
        for name, argv, wait_port, cwd in order if i % 2 == 0 else reversed(order):
            took, cpu = await spawn_timed(*argv, port=wait_port, cwd=cwd)
            times[name].append(took)
            times[f"{name}_cpu"].append(cpu)
    return times


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def report_health(times: dict[str, list[float]]) -> None:
    floor, floor_cpu = median(times["floor"]), median(times["floor_cpu"])
    print(
        f"start-up to /api/health, automations running, {len(times['floor'])} interleaved "
        f"rounds, load average {min(times['load']):.1f}-{max(times['load']):.1f}: bare "
        f"'import aiohttp.web' median {floor:.3f} s (best {min(times['floor']):.3f}), "
        f"CPU {floor_cpu:.3f} s"
    )
    for name in ("hub", "baseline"):
        if name not in times:
            continue
        ratios = [h / f for h, f in zip(times[name], times["floor"], strict=True)]
        hub, cpu = median(times[name]), median(times[f"{name}_cpu"])
        print(
            f"  {name}: median {hub:.3f} s (best {min(times[name]):.3f}); ratio of medians "
            f"{hub / floor:.2f}x, median of round ratios {median(ratios):.2f}x (rounds "
            f"{min(ratios):.2f}-{max(ratios):.2f}x); CPU median {cpu:.3f} s, "
            f"{cpu / floor_cpu:.2f}x the floor's"
        )


def report_memory(mem: dict[str, Any], zigbee: int) -> None:
    print(
        f"mihub run with {mem['devices']} miIO + {zigbee} Zigbee2MQTT simulated devices "
        f"(stored per protocol: {mem['known']}; the simulated fleet was up, MQTT side "
        f"included, {mem['fleet_s']:.2f} s after its spawn): miIO all online after "
        f"{mem['onboarded_s']:.2f} s; RSS {mem['rss_mb']:.1f} MB (peak {mem['peak_mb']:.1f} MB)"
    )
    where = dict(mem["where"])
    threads = int(where.pop("threads"))
    top = sorted(where.items(), key=lambda item: -item[1])[:8]
    print(f"  {threads} threads; resident MB by mapping: "
          + ", ".join(f"{name} {mb:.1f}" for name, mb in top))  # fmt: skip


def report_startup(start: dict[str, float]) -> None:
    print(
        f"start-up to 'every device known' with {start['devices']:.0f} devices in the store: "
        f"median {start['median_s']:.3f} s, best {start['best_s']:.3f} s (process spawn included)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--zigbee", type=int, default=100)
    parser.add_argument("--models", default=MODELS, help="miIO models, round-robin")
    parser.add_argument("--store", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10, help="interleaved start-up rounds")
    parser.add_argument("--only", choices=("memory", "startup", "health"))
    parser.add_argument(
        "--baseline", type=Path, help="a checkout of another commit, timed in the same rounds"
    )
    args = parser.parse_args()
    os.chdir(ROOT)
    with tempfile.TemporaryDirectory(prefix="mihub-bench-") as tmp:
        if args.only in (None, "memory"):
            mem = await memory(args.devices, args.zigbee, Path(tmp), args.models)
            report_memory(mem, args.zigbee)
        if args.only in (None, "startup"):
            report_startup(await startup(args.store, Path(tmp)))
        if args.only in (None, "health"):
            report_health(await health(args.store, Path(tmp), args.rounds, args.baseline))


if __name__ == "__main__":
    asyncio.run(main())
