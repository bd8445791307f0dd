"""``mihub onboard``: a factory-reset device, its token and the home Wi-Fi, without the cloud.

A reset Mi device opens its own access point (``<model>_miap<XXXX>``) and, until it is
provisioned, answers the miIO hello with its token in the clear in the checksum field. Run
from a machine that has joined that access point, this reads the token, checks it with
``miIO.info``, sends ``miIO.config_router`` with the home network's name and password, and
keeps the token the way the hub keeps the tokens it onboards with
(``DeviceRegistry.set_secret("miio-<did>", "token", ...)``). When the device comes up in the
home network, the hub's discovery recognises its device id and onboards it with no further
step. The Wi-Fi password goes to the device once: it is never printed, logged or stored.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hub.config import Config, load_config
from hub.devices.miio.discovery import MIIO_PORT
from hub.devices.miio.wire import codec
from hub.errors import DeviceError, HubError

if TYPE_CHECKING:
    from hub.devices.registry import DeviceRegistry

AP_HOST = "192.168.13.1"
"""Where a Mi device on its own access point answers (python-miio and Mi Home use it)."""
_UNKNOWN_TOKEN = "0" * 32
_ACCEPTED = (0, "ok", "OK", ["ok"], ["OK"])


class ProvisioningError(HubError):
    """The device cannot be provisioned: it masks its token, or refused the network."""


@dataclass(frozen=True, slots=True)
class Provisioned:
    did: int
    model: str
    mac: str
    token: str

    @property
    def device_id(self) -> str:
        return f"miio-{self.did}"


async def provision(
    host: str, ssid: str, password: str, *, uid: int = 0, port: int = MIIO_PORT,
    bind: str = "0.0.0.0",  # noqa: S104 - the device answers from its access point
) -> Provisioned:  # fmt: skip
    """Read the token of the unprovisioned device at ``host`` and send it to ``ssid``."""
    from hub.devices.miio.wire.transport import MiioTransport

    async with MiioTransport((bind, 0)) as transport:
        session = transport.session(host, _UNKNOWN_TOKEN, port)
        hello = await session.handshake()
        token = codec.token_in_hello(hello)
        if token is None:
            raise ProvisioningError(
                f"{host} (device id {hello.device_id}) masks its token in the hello: it is "
                "provisioned already. Reset it (see its manual) and join its access point "
                "again, or import its token with `mihub import-tokens`"
            )
        session.rekey(token)
        info = await session.info()
        answer = await session.send(
            "miIO.config_router", {"ssid": ssid, "passwd": password, "uid": uid}
        )
        if answer not in _ACCEPTED:
            raise ProvisioningError(f"{host} refused the network {ssid!r}: it answered {answer!r}")
        return Provisioned(
            hello.device_id, str(info.get("model", "")), str(info.get("mac", "")), token
        )


async def onboard(
    registry: DeviceRegistry, host: str, ssid: str, password: str, *, uid: int = 0,
    port: int = MIIO_PORT,
) -> Provisioned:  # fmt: skip
    """Provision the device at ``host`` and keep its token where discovery looks for it (a
    running hub reads it at its next discovery round). The CLI's and the API's one path."""
    device = await provision(host, ssid, password, uid=uid, port=port)
    await registry.set_secret(device.device_id, "token", device.token)
    return device


async def _onboard_into_store(config: Config, host: str, ssid: str, password: str,
                              uid: int) -> Provisioned:  # fmt: skip
    from hub.bus import EventBus
    from hub.devices.registry import DeviceRegistry
    from hub.store import Store

    async with Store(config.hub.data_dir / "mihub.db") as store:
        return await onboard(DeviceRegistry(EventBus(), store), host, ssid, password, uid=uid)


def _password(args: argparse.Namespace) -> str:
    if args.password_file is not None:
        lines = args.password_file.read_text(encoding="utf-8").splitlines()
        return lines[0] if lines else ""
    return getpass.getpass(f"Password of {args.ssid!r} (sent to the device once, never kept): ")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    try:
        password = _password(args)
    except OSError as exc:
        print(f"mihub onboard: --password-file: {exc}", file=sys.stderr)
        return 2
    try:
        device = asyncio.run(_onboard_into_store(config, args.host, args.ssid, password, args.uid))
    except (ProvisioningError, DeviceError) as exc:
        print(f"mihub onboard: {exc}", file=sys.stderr)
        return 1
    print(
        f"{device.model or 'device'} {device.device_id} (MAC {device.mac or '?'}) is joining "
        f"{args.ssid!r}; its token is in {config.hub.data_dir / 'mihub.db'}.\n"
        "Reconnect this machine to the home network: the hub onboards the device when "
        "discovery finds it there (miio.discovery in config.yaml)."
    )
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], config_help: str) -> None:
    parser = sub.add_parser(
        "onboard",
        help="give a factory-reset device the home Wi-Fi and keep its token (no cloud)",
        description="Run from a machine that has joined the device's own access point (named "
        "like zhimi-airpurifier-mb3_miapXXXX after a reset): reads the token the device tells "
        "before it is provisioned, sends it the home Wi-Fi's name and password, and stores "
        "the token for the hub. The password is used once and never stored or printed.",
    )
    parser.add_argument("--ssid", required=True, help="the home Wi-Fi network's name")
    parser.add_argument(
        "--password-file",
        type=Path,
        metavar="FILE",
        help="read the Wi-Fi password from the first line of FILE (default: ask for it)",
    )
    parser.add_argument(
        "--host", default=AP_HOST, help=f"the device's address on its access point ({AP_HOST})"
    )
    parser.add_argument("--uid", type=int, default=0, help="a Mi account id to bind it to (0)")
    parser.add_argument("--config", type=Path, default=Path("config.yaml"), help=config_help)
    parser.set_defaults(handler=run)
