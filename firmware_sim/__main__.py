"""``python -m firmware_sim``: run a fleet of simulated devices until interrupted.

    python -m firmware_sim --count 3 --models zhimi.airpurifier.mb3,yeelink.light.color2 \\
        --host-base 127.0.0.10 --manifest run/manifest.json
    python -m firmware_sim --config fleet.yaml --manifest run/manifest.json

fleet.yaml: ``devices: [{model: ..., host: 127.0.0.10, port: 54321, token: ..., did: ...}]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path
from typing import Any

import yaml

from firmware_sim.fleet import DeviceConfig, Fleet
from firmware_sim.mdns import MdnsAdvertiser
from firmware_sim.models.spec import bundled_models
from firmware_sim.mqtt import MODELS, MqttSimulation, ZigbeeDeviceConfig


def fleet_from_yaml(path: Path, tick: float) -> Fleet:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("devices", []) if isinstance(data, dict) else []
    configs = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or "model" not in entry or "host" not in entry:
            raise SystemExit(f"{path}: devices[{index}] needs at least a model and a host")
        configs.append(DeviceConfig(**entry))
    return Fleet(configs, tick)


def write_manifest(path: Path, manifest: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    tmp.replace(path)


def zigbee_devices(count: int) -> list[ZigbeeDeviceConfig] | None:
    """``count`` Zigbee devices, models round-robin (None: one of each, the default names)."""
    if count <= 0:
        return None
    models = sorted(MODELS)
    return [
        ZigbeeDeviceConfig(f"zb_{i:03d}", models[i % len(models)], f"0x00158d01{i:08x}")
        for i in range(count)
    ]


async def run(
    fleet: Fleet,
    manifest_path: Path | None,
    quiet: bool,
    mdns: list[str] | None = None,
    mqtt: str | None = None,
    zigbee_count: int = 0,
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(fleet)
        if mdns:
            await stack.enter_async_context(MdnsAdvertiser(list(fleet.devices), mdns))
        if mqtt:
            simulation = MqttSimulation(mqtt, devices=zigbee_devices(zigbee_count))
            await stack.enter_async_context(simulation)
            if not quiet:
                print("\n".join(simulation.describe()[:20]))
        manifest = fleet.manifest()
        if manifest_path is not None:
            write_manifest(manifest_path, manifest)
        if not quiet:
            for entry in manifest[:20]:
                print(f"{entry['model']:<24} {entry['host']}:{entry['port']:<6} did {entry['did']}")
            if len(manifest) > 20:
                print(f"... and {len(manifest) - 20} more")
            print(f"{len(manifest)} simulated devices running; Ctrl-C stops them", flush=True)
        await stop.wait()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.remove_signal_handler(sig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m firmware_sim",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, help="a fleet YAML file")
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument(
        "--models",
        default=",".join(bundled_models()),
        help="comma-separated models, used round-robin",
    )
    parser.add_argument("--host-base", default="127.0.0.10")
    parser.add_argument("--port", type=int, default=54321)
    parser.add_argument("--tick", type=float, default=1.0, help="seconds between behaviour steps")
    parser.add_argument("--manifest", type=Path, help="write id, model, host, port, did, token")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument(
        "--mqtt",
        metavar="URL",
        help="also run the Zigbee2MQTT bridge and HA-discovery lamp on this broker",
    )
    parser.add_argument(
        "--zigbee-count",
        type=int,
        default=0,
        help="with --mqtt: this many Zigbee devices (default: one of each model)",
    )
    parser.add_argument(
        "--bind-any",
        action="store_true",
        help="bind 0.0.0.0 so broadcasts arrive (use inside a network namespace)",
    )
    parser.add_argument(
        "--mdns",
        action="append",
        default=[],
        metavar="INTERFACE_ADDR",
        help="advertise on mDNS on this interface (only inside a namespace)",
    )
    args = parser.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = sorted(set(models) - set(bundled_models()))
    if unknown:
        print(
            f"unknown models: {', '.join(unknown)}; known: {', '.join(bundled_models())}",
            file=sys.stderr,
        )
        return 2
    if args.config:
        fleet = fleet_from_yaml(args.config, args.tick)
    else:
        fleet = Fleet.from_counts(
            args.count, models, args.host_base, args.port, args.tick,
            bind="0.0.0.0" if args.bind_any else None,  # noqa: S104 - namespaces only
        )  # fmt: skip
    asyncio.run(run(fleet, args.manifest, args.quiet, args.mdns, args.mqtt, args.zigbee_count))
    return 0


if __name__ == "__main__":
    sys.exit(main())
