"""One simulated miIO device: its State, its Service on the wire, its UseCases, its faults.

device = SimulatedDevice(DeviceConfig("zhimi.airpurifier.mb3", "127.0.0.10"))
async with device:
    device.set_property(2, 2, True)     # as if someone pressed a button: pushes follow
    device.faults.loss = 0.3
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from firmware_sim.faults import Faults
from firmware_sim.miio.identity import Identity, new_token
from firmware_sim.miio.miot import MiotHandler
from firmware_sim.miio.server import MiioServer
from firmware_sim.models.camera import Camera
from firmware_sim.models.families import behaviour_for
from firmware_sim.models.snapshot import SnapshotServer
from firmware_sim.models.spec import load_model_spec
from firmware_sim.models.state import DeviceState
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


class SimulatedDevice:
    def __init__(self, config: DeviceConfig) -> None:
        behaviour_class = behaviour_for(config.model)  # first: it names the known models
        spec = load_model_spec(config.model)
        self.model = config.model
        self.config = config
        self.identity = Identity(
            config.model,
            config.host,
            config.port,
            fw_ver=config.fw_ver or behaviour_class.fw_ver,
            hw_ver=behaviour_class.hw_ver,
        )
        if config.token:
            self.identity.token = checked_token(config.token)
        if config.did is not None:
            if not 0 < config.did < 2**32:
                raise ValueError(f"a device id is a uint32 above 0, not {config.did}")
            self.identity.did = config.did
        if config.mac:
            self.identity.mac = config.mac
        identity = self.identity
        information = {  # service 1 of every MIoT device
            (1, 1): behaviour_class.manufacturer,
            (1, 2): config.model,
            (1, 3): str(identity.did),
            (1, 4): identity.fw_ver,
        }
        initial = {k: v for k, v in information.items() if k in spec.props}
        self.state = DeviceState(spec, initial | behaviour_class.initial)
        self.behaviour = behaviour_class(self.state)
        self.faults = Faults()
        miot = MiotHandler(spec, self.state, self.behaviour)
        self.server = MiioServer(self.identity, miot, self.faults)
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

    def get_property(self, siid: int, piid: int) -> Any:
        return self.state.get(siid, piid)

    def set_property(self, siid: int, piid: int, value: Any) -> None:
        """Change the state directly (no spec check); subscribers hear of it if it notifies."""
        self.state.set(siid, piid, value)

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
