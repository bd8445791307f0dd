"""One simulated miIO device: its State, its Service on the wire, its UseCases, its faults.

device = SimulatedDevice(DeviceConfig("zhimi.airpurifier.mb3", "127.0.0.10"))
async with device:
    device.set_property(2, 2, True)     # MIoT (siid, piid); pushes follow
    device.set_property("power", "on")  # legacy: the wire name and wire value
    device.feature("power")             # True, whichever the dialect
    device.faults.loss = 0.3
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Hashable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from firmware_sim.faults import Faults
from firmware_sim.miio.identity import Identity, new_token
from firmware_sim.miio.legacy import LegacyHandler
from firmware_sim.miio.miot import MiotHandler
from firmware_sim.miio.server import MiioServer
from firmware_sim.models.camera import Camera
from firmware_sim.models.families import behaviour_for, manufacturer
from firmware_sim.models.props import LegacyProps, MiotProps, Props
from firmware_sim.models.snapshot import SnapshotServer
from firmware_sim.models.spec import ModelSpec, load_model_spec
from firmware_sim.models.state import DeviceState
from firmware_sim.models.table import load_table
from firmware_sim.models.use_cases import UseCases


def checked_token(token: str) -> str:
    if len(token) != 32 or any(c not in "0123456789abcdefABCDEF" for c in token):
        raise ValueError(f"a miIO token is 32 hex digits, not {token!r}")
    return token.lower()


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    model: str
    host: str
    port: int = 54321
    """The miIO UDP port; 0 picks a free one."""
    token: str | None = None
    """32 hex digits; None: a random one."""
    did: int | None = None
    """The device id (uint32); None: a random one."""
    mac: str | None = None
    fw_ver: str | None = None
    """None: the model's usual firmware version."""
    snapshot_port: int = 8080
    """Cameras: the HTTP port of ``/snapshot.jpg`` on ``host``; 0 picks a free one."""
    bind: str | None = None
    """Address the miIO socket binds (default: ``host``); ``0.0.0.0`` also hears broadcast
    hellos, for use inside a network namespace only."""
    provisioned: bool = True
    """False: factory-reset (token in the hello, waiting for ``miIO.config_router``)."""
    ssid: str | None = None
    """The network it joined (None: the simulator's, or its own access point's when
    unprovisioned)."""
    uid: int = 0
    """The account ``miIO.config_router`` bound it to."""


def miot_initial(spec: ModelSpec, identity: Identity) -> dict[Hashable, Any]:
    """A first value for every property of a MIoT spec: service 1 says who the device is,
    the rest start at the first of their value list, 0 within their range, off, or empty."""
    values: dict[Hashable, Any] = {}
    for key, prop in spec.props.items():
        if prop.format == "bool":
            values[key] = False
        elif prop.format == "string":
            values[key] = ""
        elif prop.values:
            values[key] = min(prop.values)
        elif prop.value_range is not None:
            values[key] = prop.coerce(max(prop.value_range[0], min(0, prop.value_range[1])))
        else:
            values[key] = prop.coerce(0)
    information = {
        (1, 1): manufacturer(identity.model), (1, 2): identity.model,
        (1, 3): str(identity.did), (1, 4): identity.fw_ver,
    }  # fmt: skip
    values.update({k: v for k, v in information.items() if k in spec.props})
    return values


class SimulatedDevice:
    def __init__(self, config: DeviceConfig) -> None:
        table = load_table(config.model)  # first: it names the known models
        behaviour_class = behaviour_for(table.family)
        self.model = config.model
        self.table = table
        self.config = config
        self.identity = Identity(
            config.model,
            config.host,
            config.port,
            fw_ver=config.fw_ver or behaviour_class.fw_ver,
            hw_ver=behaviour_class.hw_ver,
            provisioned=config.provisioned,
        )
        if config.token:
            self.identity.token = checked_token(config.token)
        if config.did is not None:
            if not 0 < config.did < 2**32:
                raise ValueError(f"a device id is a uint32 above 0, not {config.did}")
            self.identity.did = config.did
        if config.mac:
            self.identity.mac = config.mac
        self.identity.uid = config.uid
        if config.ssid:
            self.identity.ssid = config.ssid
        elif not config.provisioned:  # its own access point, named as Mi devices name theirs
            ap = config.model.replace(".", "-")
            self.identity.ssid = f"{ap}_miap{self.identity.mac.replace(':', '')[-4:]}"
        self.props: Props
        self.dialect: MiotHandler | LegacyHandler
        if table.dialect == "miot":
            spec = load_model_spec(table.spec or config.model)
            self.state = DeviceState(miot_initial(spec, self.identity), spec.notifies)
            self.props = MiotProps(self.state, spec)
            for feature, value in behaviour_class.initial.items():
                self.props.set(feature, value)
            self.behaviour = behaviour_class(self.props)
            self.dialect = MiotHandler(spec, self.props, self.behaviour)
        else:
            self.state = DeviceState({p.name: p.initial for p in table.props})
            self.props = LegacyProps(self.state, table)
            self.behaviour = behaviour_class(self.props)
            self.dialect = LegacyHandler(table, self.props, self.behaviour)
        self.faults = Faults()
        self.joined = asyncio.Event()
        """Set when ``miIO.config_router`` sent it to another network (see ``identity.ssid``)."""
        self.server = MiioServer(self.identity, self.dialect, self.faults, self.joined.set)
        self.state.on_change.append(self.server.subscribers.property_changed)
        self.state.on_event.append(self.server.subscribers.event)
        self.use_cases = UseCases(self.behaviour)
        self.snapshots = (
            SnapshotServer(config.host, config.snapshot_port, f"{config.model} {self.did}")
            if isinstance(self.behaviour, Camera)
            else None
        )
        self._come_up: asyncio.TimerHandle | None = None

    # ---- who it is --------------------------------------------------------------------

    @property
    def host(self) -> str:
        return self.identity.host

    @property
    def port(self) -> int:
        return self.identity.port

    @property
    def did(self) -> int:
        return self.identity.did

    @property
    def token(self) -> str:
        return self.identity.token

    @property
    def mac(self) -> str:
        return self.identity.mac

    @property
    def snapshot_url(self) -> str | None:
        return self.snapshots.url if self.snapshots is not None else None

    def manifest_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": f"miio-{self.did}",
            "model": self.model,
            "host": self.host,
            "port": self.port,
            "did": self.did,
            "token": self.token,
        }
        if self.snapshot_url is not None:
            entry["snapshot_url"] = self.snapshot_url
        return entry

    # ---- running ----------------------------------------------------------------------

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            sock.bind((self.config.bind or self.host, self.identity.port))
            self.identity.port = sock.getsockname()[1]
            loop = asyncio.get_running_loop()
            await loop.create_datagram_endpoint(lambda: self.server, sock=sock)
        except BaseException:
            sock.close()
            raise
        if self.snapshots is not None:
            try:
                await self.snapshots.start()
            except BaseException:
                self.server.close()
                raise

    async def stop(self) -> None:
        if self._come_up is not None:
            self._come_up.cancel()
            self._come_up = None
        self.server.close()
        if self.snapshots is not None:
            await self.snapshots.stop()

    async def __aenter__(self) -> SimulatedDevice:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def tick(self, dt: float) -> None:
        """Move the device's behaviour ``dt`` simulated seconds forward."""
        self.behaviour.tick(dt)

    # ---- direct access for tests and demos ----------------------------------------------

    def get_property(self, *key: Any) -> Any:
        """The wire value of a property: ``get_property(2, 2)`` (MIoT siid, piid) or
        ``get_property("power")`` (legacy name)."""
        return self.state.get(key[0] if len(key) == 1 else tuple(key))

    def set_property(self, *key_and_value: Any) -> None:
        """Change the state directly (no check): ``set_property(2, 2, True)`` or
        ``set_property("power", "on")``; MIoT subscribers hear of it if it notifies."""
        *key, value = key_and_value
        self.state.set(key[0] if len(key) == 1 else tuple(key), value)

    def feature(self, name: str) -> Any:
        """A feature's value whatever the dialect (``feature("power")`` is True or False)."""
        return self.props.get(name)

    # ---- faults of the device itself ----------------------------------------------------

    def reboot(self, downtime: float = 0.0) -> None:
        """The stamp restarts from 0; subscriptions and seen message ids are lost. With a
        ``downtime``, the device is offline that long first and its clock starts when it
        comes back."""
        self.server.forget()
        if self._come_up is not None:
            self._come_up.cancel()
            self._come_up = None
        if downtime <= 0:
            self.identity.reboot()
            return
        self.faults.offline = True

        def come_up() -> None:
            self._come_up = None
            self.identity.reboot()
            self.faults.offline = False

        self._come_up = asyncio.get_running_loop().call_later(downtime, come_up)

    def change_token(self, token: str | None = None) -> str:
        """A new token, as after re-pairing; requests with the old one get no reply."""
        self.identity.token = checked_token(token) if token else new_token()
        return self.identity.token
