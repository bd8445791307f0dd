"""The `mihub` command line: run | demo | pair | discover | devices | check-config."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path

from hub import __version__
from hub.config import load_config
from hub.errors import ConfigError, HubError
from hub.logs import configure_logging


def _check_config(args: argparse.Namespace) -> int:
    from hub.scenes.model import parse_automation, parse_scene

    try:
        config = load_config(args.config)
        for number, data in enumerate(config.scenes):
            parse_scene(data, f"{args.config}: scenes[{number}]")
        for number, data in enumerate(config.automations):
            parse_automation(data, f"{args.config}: automations[{number}]")
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(
        f"{args.config}: ok ({len(config.miio.devices)} miIO devices, "
        f"mqtt {'on' if config.mqtt else 'off'}, {len(config.automations)} automations)"
    )
    return 0


def _run(args: argparse.Namespace) -> int:
    from hub.app import Hub

    config = load_config(args.config)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with Hub(config):
            await stop.wait()

    asyncio.run(serve())
    return 0


def _devices(args: argparse.Namespace) -> int:
    """List the devices the store knows (the hub need not be running)."""
    from hub.bus import EventBus
    from hub.devices.registry import DeviceRegistry
    from hub.store import Store

    config = load_config(args.config)

    async def listing() -> list[dict[str, object]]:
        async with Store(config.hub.data_dir / "mihub.db") as store:
            registry = DeviceRegistry(EventBus(), store)
            await registry.load()
            return [d.as_dict() for d in registry.devices.values()]

    devices = asyncio.run(listing())
    if args.json:
        print(json.dumps(devices))
        return 0
    for dev in devices:
        print(f"{dev['id']:<22} {dev['model']:<26} {dev['room'] or '-':<14} {dev['name']}")
    return 0


def _pair(args: argparse.Namespace) -> int:
    """Print a one-time pairing code and a QR code of the pairing URL (valid 10 minutes)."""
    from hub.api.auth import PAIRING_TTL, TokenAuth
    from hub.store import Store

    config = load_config(args.config)
    scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]

    async def create() -> str:
        async with Store(config.hub.data_dir / "mihub.db") as store:
            return await TokenAuth(store).create_pairing_code(scopes)

    code = asyncio.run(create())
    host = args.host or config.api.host
    url = f"http://{host}:{config.api.port}/#pair={code}"
    print(pairing_text(code, url, int(PAIRING_TTL // 60)))
    return 0


def pairing_text(code: str, url: str, minutes: int) -> str:
    import io

    import qrcode

    qr = qrcode.QRCode(border=1)
    qr.add_data(url)
    buffer = io.StringIO()
    qr.print_ascii(out=buffer, invert=True)
    return (
        f"{buffer.getvalue()}\nOpen {url} on your phone (or scan the code above),\n"
        f"or type the pairing code: {code}\nIt works once, for the next {minutes} minutes."
    )


def _discover(args: argparse.Namespace) -> int:
    from hub.devices.miio.discovery import hello_scan, mdns_scan

    if not (args.broadcast or args.hosts or args.mdns_interface):
        print(
            "say where to look: --broadcast ADDR, --hosts HOST/CIDR, or --mdns INTERFACE_ADDR",
            file=sys.stderr,
        )
        return 2

    async def scan() -> list[dict[str, object]]:
        scans = [
            hello_scan(
                broadcast=args.broadcast, hosts=args.hosts, rate=args.rate, listen=args.listen
            )
        ]
        if args.mdns_interface:
            scans.append(mdns_scan(args.mdns_interface, listen=args.listen))
        found = [dev for result in await asyncio.gather(*scans) for dev in result]
        merged: dict[int, dict[str, object]] = {}
        for dev in found:
            entry = merged.setdefault(dev.did, {"did": dev.did, "host": dev.host})
            if dev.model:
                entry["model"] = dev.model
            entry[f"{dev.via}_after"] = round(dev.after, 3)
        return list(merged.values())

    devices = asyncio.run(scan())
    if args.json:
        print(json.dumps(devices))
        return 0
    for dev in devices:
        model = dev.get("model", "?")
        print(f"{dev['host']:<16} did {dev['did']:<12} {model:<28} needs token")
    if devices:
        print(
            "\nA device answers discovery without its token. Get the token from the Mi Home "
            "app's backup or Xiaomi's cloud (e.g. with python-miio's `miiocli cloud`), then add "
            "it to config.yaml under miio.devices."
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mihub", description=__doc__)
    parser.add_argument("--version", action="version", version=f"mihub {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check-config", help="validate a config file")
    check.add_argument("config", type=Path)

    run = sub.add_parser("run", help="run the hub")
    run.add_argument("--config", type=Path, default=Path("config.yaml"))

    devices = sub.add_parser("devices", help="list the devices the hub knows")
    devices.add_argument("--config", type=Path, default=Path("config.yaml"))
    devices.add_argument("--json", action="store_true")

    disc = sub.add_parser("discover", help="find miIO devices (only where you say)")
    disc.add_argument("--broadcast", action="append", default=[], help="broadcast address")
    disc.add_argument("--hosts", action="append", default=[], help="host or CIDR range")
    disc.add_argument("--rate", type=float, default=100.0, help="unicast hello packets per s")
    disc.add_argument(
        "--mdns",
        dest="mdns_interface",
        action="append",
        default=[],
        help="browse _miio._udp.local. on this interface address",
    )
    disc.add_argument("--listen", type=float, default=1.5, help="seconds to wait for replies")
    disc.add_argument("--json", action="store_true")

    pair = sub.add_parser("pair", help="pair a phone: print a one-time code and a QR code")
    pair.add_argument("--config", type=Path, default=Path("config.yaml"))
    pair.add_argument("--scopes", default="read,control,admin")
    pair.add_argument("--host", help="the address the phone reaches the hub at")

    demo = sub.add_parser("demo", help="simulated devices plus the hub, on loopback")
    demo.add_argument("--port", type=int, default=8321, help="the API and phone page port")

    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        if args.command == "check-config":
            return _check_config(args)
        if args.command == "discover":
            return _discover(args)
        if args.command == "run":
            return _run(args)
        if args.command == "devices":
            return _devices(args)
        if args.command == "pair":
            return _pair(args)
        if args.command == "demo":
            from hub.demo import run_demo

            return run_demo(args.port)
    except HubError as exc:
        print(f"mihub: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
