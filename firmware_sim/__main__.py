"""``python -m firmware_sim``: run a fleet of simulated devices until SIGINT / SIGTERM.

    python -m firmware_sim --count 3 --models zhimi.airpurifier.mb3,yeelink.light.color2 \\
        --host-base 127.0.0.10 --manifest run/manifest.json
    python -m firmware_sim --config fleet.yaml --manifest run/manifest.json

With several models, ``--count`` devices take them round-robin on consecutive addresses.
The manifest is a JSON list of {id, model, host, port, did, token(, snapshot_url)}, written
once every device listens. mDNS stays off unless ``--mdns ADDR`` is given (network
namespaces only). The fleet YAML format is described in :mod:`firmware_sim.fleet`.

One device that keeps who it is across restarts, factory-reset on its own access point:

    python -m firmware_sim --count 1 --models yeelink.light.color2 --host-base 192.168.13.1 \\
        --bind-any --flash run/lamp.json --unprovisioned

It tells its token in the hello until ``miIO.config_router`` sends it to a home network;
then it writes its flash and exits, as a device leaves its access point. Started again with
the same ``--flash`` (in the home network), it is the same device, provisioned.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import signal
import sys
from pathlib import Path
from typing import Any

from firmware_sim import flash
from firmware_sim.fleet import Fleet
from firmware_sim.models.table import bundled_models
from firmware_sim.mqtt import MODELS, MqttSimulation, ZigbeeDeviceConfig

TABLE_ROWS = 20


def write_manifest(path: Path, manifest: list[dict[str, Any]]) -> None:
    """Written whole or not at all: a reader polling for the file never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    tmp.replace(path)


def table(manifest: list[dict[str, Any]]) -> list[str]:
    lines = [f"{'model':<24} {'address':<22} {'did':>10}  snapshot"]
    for entry in manifest[:TABLE_ROWS]:
        address = f"{entry['host']}:{entry['port']}"
        snapshot = entry.get("snapshot_url", "")
        lines.append(f"{entry['model']:<24} {address:<22} {entry['did']:>10}  {snapshot}")
    if len(manifest) > TABLE_ROWS:
        lines.append(f"... and {len(manifest) - TABLE_ROWS} more")
    return lines


def zigbee_devices(count: int) -> list[ZigbeeDeviceConfig] | None:
    """``count`` Zigbee devices, models round-robin (None: one of each, the default names)."""
    if count <= 0:
        return None
    models = sorted(MODELS)
    return [
        ZigbeeDeviceConfig(f"zb_{i:03d}", models[i % len(models)], f"0x00158d01{i:08x}")
        for i in range(count)
    ]


def raise_file_limit(needed: int) -> None:
    """One socket per device (two for cameras): lift the soft limit toward the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))


async def run(
    fleet: Fleet,
    manifest_path: Path | None,
    quiet: bool = False,
    mqtt: str | None = None,
    zigbee_count: int = 0,
    flash_path: Path | None = None,
) -> None:
    """Run ``fleet`` (and the MQTT simulators) until SIGINT or SIGTERM; with a
    ``flash_path``, also until its one device joins another network."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(fleet)
            if mqtt:
                simulation = MqttSimulation(mqtt, devices=zigbee_devices(zigbee_count))
                await stack.enter_async_context(simulation)
                if not quiet:
                    print("\n".join(simulation.describe()[:TABLE_ROWS]))
            manifest = fleet.manifest()
            if manifest_path is not None:
                await asyncio.to_thread(write_manifest, manifest_path, manifest)
            if not quiet:
                print("\n".join(table(manifest)))
                print(f"{len(manifest)} simulated devices running; Ctrl-C stops them", flush=True)
            if flash_path is None:
                await stop.wait()
            else:
                await leave_when_joined(fleet, flash_path, stop, quiet)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def leave_when_joined(fleet: Fleet, path: Path, stop: asyncio.Event, quiet: bool) -> None:
    """Keep the device's flash; when it joins a network, save it and stop the run."""
    (simulated,) = fleet.devices
    await asyncio.to_thread(flash.write, path, simulated)
    stopped = asyncio.create_task(stop.wait(), name="sim-stop")
    joined = asyncio.create_task(simulated.joined.wait(), name="sim-joined")
    try:
        await asyncio.wait({stopped, joined}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (stopped, joined):
            task.cancel()
    if simulated.joined.is_set():
        await asyncio.to_thread(flash.write, path, simulated)
        if not quiet:
            print(f"joined {simulated.identity.ssid!r}: leaving the access point", flush=True)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m firmware_sim",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", type=Path, help="a fleet YAML file (instead of --count)")
    p.add_argument("--count", type=int, default=3)
    p.add_argument(
        "--models", default=",".join(bundled_models()), help="comma-separated, round-robin"
    )
    p.add_argument("--host-base", default="127.0.0.10", help="the first device's address")
    p.add_argument("--port", type=int, default=54321, help="miIO port (0: a free one each)")
    p.add_argument("--snapshot-port", type=int, default=8080, help="cameras' HTTP port")
    p.add_argument("--tick", type=float, default=1.0, help="seconds between behaviour steps")
    p.add_argument("--time-scale", type=float, default=1.0, help="simulated s per real s")
    p.add_argument("--manifest", type=Path, help="write id, model, host, port, did, token")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--mqtt", metavar="URL", help="also run the Zigbee2MQTT simulators here")
    p.add_argument(
        "--zigbee-count",
        type=int,
        default=0,
        help="with --mqtt: this many Zigbee devices (default: one of each model)",
    )
    p.add_argument(
        "--bind-any",
        action="store_true",
        help="bind 0.0.0.0 so broadcast hellos arrive (inside a network namespace only)",
    )
    p.add_argument(
        "--mdns",
        action="append",
        default=[],
        metavar="INTERFACE_ADDR",
        help="advertise on mDNS on this interface address (inside a network namespace only)",
    )
    p.add_argument(
        "--flash",
        type=Path,
        metavar="PATH",
        help="one device that keeps its id, token and network here across restarts; the run "
        "ends when miIO.config_router sends it to another network",
    )
    p.add_argument(
        "--unprovisioned",
        action="store_true",
        help="factory-reset: the hello tells the token until miIO.config_router (with a blank "
        "--flash, or without one)",
    )
    return p


def build_fleet(args: argparse.Namespace) -> Fleet:
    options: dict[str, Any] = {"tick": args.tick, "time_scale": args.time_scale}
    if args.mdns:
        options["mdns_interfaces"] = args.mdns
    if args.config:
        return Fleet.from_yaml(args.config, **options)
    bind = "0.0.0.0" if args.bind_any else None  # noqa: S104 - namespaces only
    if args.flash is not None or args.unprovisioned:
        if args.count != 1 or "," in args.models:
            raise ValueError("--flash and --unprovisioned are for one device: --count 1, one model")
        config = flash.device_config(
            args.flash, args.models.strip(), args.host_base, args.port, bind,
            provisioned=not args.unprovisioned,
        )  # fmt: skip
        return Fleet([config], **options)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    return Fleet.from_counts(
        args.count,
        models,
        args.host_base,
        args.port,
        bind=bind,
        snapshot_port=args.snapshot_port,
        **options,
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = sorted(set(models) - set(bundled_models()))
    if unknown:
        known = ", ".join(bundled_models())
        print(f"unknown models: {', '.join(unknown)}; known: {known}", file=sys.stderr)
        return 2
    try:
        fleet = build_fleet(args)
    except (OSError, ValueError) as exc:
        print(f"firmware_sim: {exc}", file=sys.stderr)
        return 2
    raise_file_limit(2 * len(fleet.devices))
    try:
        asyncio.run(run(fleet, args.manifest, args.quiet, args.mqtt, args.zigbee_count, args.flash))
    except OSError as exc:  # an address in use, or not on this host
        print(f"firmware_sim: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C before our own handler was in place: still a stop
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
