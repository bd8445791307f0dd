"""The `mihub` command line: run | demo | pair | discover | devices | check-config, plus the
operator's onboard | import-tokens | service | backup | restore (hub.service.commands)."""

from __future__ import annotations

import argparse
import asyncio
import errno
import gc
import ipaddress
import json
import signal
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hub import __version__
from hub.errors import ConfigError, HubError
from hub.service.journal import configure_logging

if TYPE_CHECKING:
    from hub.config import Config

SETTLE_AFTER = 5.0
"""Seconds after the start when its garbage is collected and its objects frozen."""
CORE_COMMANDS = frozenset({"check-config", "run", "devices", "pair", "discover", "demo"})
"""Commands of this module; the operator's (onboard, service, backup...) load only for theirs."""


def load_config(path: Path) -> Config:
    """hub.config's, imported when a command needs it (pydantic and PyYAML come with it)."""
    from hub.config import load_config as load

    return load(path)


def _check_config(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)  # scenes and automations too, with their lines
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
        async with Hub(config, config_path=args.config) as hub:
            if hub.reloader is not None:
                loop.add_signal_handler(signal.SIGHUP, hub.reloader.reload_soon)
            _collect_from_now_on()
            await stop.wait()

    asyncio.run(serve())
    return 0


def _collect_from_now_on() -> None:
    """The cycle collector runs again (main() paused it for the start). A few seconds on, once
    the hub idles, one collection takes what the start left as garbage (~2 MB of RSS at 200
    devices), and the start's objects (modules, models, the store's devices), which live as
    long as the hub, move to the permanent generation: no later collection walks them again."""
    gc.enable()

    def settle() -> None:
        gc.collect()
        gc.freeze()

    asyncio.get_running_loop().call_later(SETTLE_AFTER, settle)


def _devices(args: argparse.Namespace) -> int:
    """List the devices the store knows, or remove one (the hub need not be running)."""
    from hub.bus import EventBus
    from hub.devices.registry import DeviceRegistry
    from hub.store import Store

    config = load_config(args.config)

    async def listing() -> list[dict[str, object]]:
        async with Store(config.hub.data_dir / "mihub.db") as store:
            registry = DeviceRegistry(EventBus(), store)
            await registry.load()
            if args.devices_command == "remove":
                device = await registry.delete(args.device_id)
                print(f"removed {device.id} ({device.name}) with its state and secrets")
                return []
            return [d.as_dict() for d in registry.devices.values()]

    devices = asyncio.run(listing())
    if args.devices_command == "remove":
        return 0
    if args.json:
        print(json.dumps(devices))
        return 0
    for dev in devices:
        print(f"{dev['id']:<22} {dev['model']:<26} {dev['room'] or '-':<14} {dev['name']}")
    return 0


def _pair(args: argparse.Namespace) -> int:
    """Print a one-time pairing code and a QR code of the pairing URL (valid 10 minutes)."""
    from hub.api.auth import PAIRING_TTL, TokenAuth
    from hub.local_addresses import phone_host
    from hub.store import Store

    config = load_config(args.config)
    scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]

    async def create() -> str:
        async with Store(config.hub.data_dir / "mihub.db") as store:
            return await TokenAuth(store).create_pairing_code(scopes)

    host = phone_host(args.host or config.api.host)
    if host is None:
        print(
            f"mihub pair: the hub listens on every interface ({config.api.host}) and this "
            "machine has no LAN address to offer the phone: pass --host ADDRESS, the address "
            "the phone reaches the hub at",
            file=sys.stderr,
        )
        return 2
    if host != (args.host or config.api.host):
        print(f"(api.host is {config.api.host}; the link uses {host}: pass --host to choose)")
    code = asyncio.run(create())
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


def _demo(args: argparse.Namespace) -> int:
    try:
        from hub.demo import demo_fleet, run_demo
    except ModuleNotFoundError as exc:  # the simulators speak through python-miio's codec
        if exc.name not in ("miio", "construct"):
            raise
        print("mihub demo: the simulated devices need python-miio: pip install 'mihub[miio]'",
              file=sys.stderr)  # fmt: skip
        return 1

    try:
        return run_demo(args.port)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        from hub.local_addresses import first_taken

        wanted: list[tuple[str, int, int]] = [("127.0.0.1", args.port, socket.SOCK_STREAM)]
        for device in (sim.config for sim in demo_fleet().devices):
            wanted.append((device.host, device.port, socket.SOCK_DGRAM))
            if "camera" in device.model:
                wanted.append((device.host, device.snapshot_port, socket.SOCK_STREAM))
        taken = first_taken(wanted) or "an address the demo binds"
        print(
            f"mihub demo: {taken} is already in use (another mihub demo? --port moves only "
            "the API; the simulated devices always use 127.0.0.100-110)",
            file=sys.stderr,
        )
        return 1


def _network(text: str) -> str:
    """argparse type: an IP address or a CIDR range."""
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an IP address or CIDR range (e.g. 192.168.1.20 or 192.168.1.0/24)"
        ) from None
    return text


def _address(text: str) -> str:
    """argparse type: one IP address."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an IP address (e.g. 192.168.1.10)"
        ) from None
    return text


CONFIG_HELP = "the config file (default: config.yaml); its data_dir holds the store"


def build_parser(operator: bool = True) -> argparse.ArgumentParser:
    """The whole parser; without ``operator``, only this module's commands (a faster start)."""
    parser = argparse.ArgumentParser(prog="mihub", description=__doc__)
    parser.add_argument("--version", action="version", version=f"mihub {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check-config", help="validate a config file")
    check.add_argument("config", type=Path, help="the config file to check (e.g. config.yaml)")

    run = sub.add_parser("run", help="run the hub")
    run.add_argument("--config", type=Path, default=Path("config.yaml"), help=CONFIG_HELP)

    devices = sub.add_parser(
        "devices",
        help="list the devices the hub knows, or remove one",
        description="List the devices in the hub's store; `mihub devices remove ID` forgets "
        "one with its state and token. While the hub runs, remove devices from the phone page "
        "or the API instead: the running hub keeps its own copy.",
    )
    devices.add_argument("--config", type=Path, default=Path("config.yaml"), help=CONFIG_HELP)
    devices.add_argument("--json", action="store_true", help="print the list as JSON")
    devices_sub = devices.add_subparsers(dest="devices_command")
    remove = devices_sub.add_parser("remove", help="remove a device with its state and token")
    remove.add_argument("device_id", metavar="ID", help="the device id, as `mihub devices` lists")
    remove.add_argument("--config", type=Path, default=argparse.SUPPRESS, help=CONFIG_HELP)

    disc = sub.add_parser("discover", help="find miIO devices (only where you say)")
    disc.add_argument(
        "--broadcast",
        action="append",
        default=[],
        type=_address,
        help="send the miIO hello to this broadcast address (repeatable)",
    )
    disc.add_argument(
        "--hosts",
        action="append",
        default=[],
        type=_network,
        help="a host or CIDR range swept by unicast hello (repeatable); a range's "
        "network and broadcast addresses are left out, except on loopback and "
        "for /31 and /32",
    )
    disc.add_argument(
        "--rate", type=float, default=100.0, help="unicast hello packets per second (default 100)"
    )
    disc.add_argument(
        "--mdns",
        dest="mdns_interface",
        action="append",
        default=[],
        type=_address,
        metavar="INTERFACE_ADDR",
        help="browse _miio._udp.local. on the interface with this address",
    )
    disc.add_argument(
        "--listen", type=float, default=1.5, help="seconds to wait for replies (default 1.5)"
    )
    disc.add_argument("--json", action="store_true", help="print the devices as JSON")

    pair = sub.add_parser("pair", help="pair a phone: print a one-time code and a QR code")
    pair.add_argument("--config", type=Path, default=Path("config.yaml"), help=CONFIG_HELP)
    pair.add_argument(
        "--scopes",
        default="read,control,admin",
        help="comma-separated scopes the phone's token gets: read (see), control "
        "(switch devices, run scenes), admin (change settings, remove devices); "
        "default: all three",
    )
    pair.add_argument(
        "--host",
        help="the address the phone reaches the hub at (default: "
        "api.host, or this machine's LAN address when that is 0.0.0.0)",
    )

    demo = sub.add_parser("demo", help="simulated devices plus the hub, on loopback")
    demo.add_argument("--port", type=int, default=8321, help="the API and phone page port")
    if operator:
        from hub.service.commands import add_operator_commands

        add_operator_commands(sub, CONFIG_HELP)
    return parser


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    command = next((word for word in words if not word.startswith("-")), None)
    args = build_parser(operator=command not in CORE_COMMANDS).parse_args(argv)
    configure_logging(args.verbose)  # no timestamps of its own in the journal
    collecting = gc.isenabled()
    gc.disable()  # a start allocates ~100k objects that all live on: no collection walks them
    try:
        return _command(args)
    except HubError as exc:
        print(f"mihub: {exc}", file=sys.stderr)
        return 1
    finally:
        if collecting:
            gc.enable()


def _command(args: argparse.Namespace) -> int:
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
        return _demo(args)
    if hasattr(args, "handler"):  # the operator's commands (hub.service.commands)
        return int(args.handler(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
