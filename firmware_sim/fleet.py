"""Start simulated devices: one miIO server per device, each on its own loopback address.

async with Fleet([DeviceConfig("zhimi.airpurifier.mb3", "127.0.0.10")]) as fleet:
    dev = fleet.devices[0]
    dev.faults.loss = 0.3
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from firmware_sim.faults import Faults
from firmware_sim.miio.identity import Identity
from firmware_sim.miio.miot import MiotHandler
from firmware_sim.miio.server import MiioServer
from firmware_sim.models.behaviour import BEHAVIOURS, Behaviour, Camera
from firmware_sim.models.spec import load_model_spec
from firmware_sim.models.state import DeviceState
from firmware_sim.snapshot import SnapshotServer


@dataclass(frozen=True)
class DeviceConfig:
    model: str
    host: str
    port: int = 54321
    token: str | None = None
    did: int | None = None
    snapshot_port: int = 8080
    bind: str | None = None
    """Address the miIO socket binds; ``0.0.0.0`` hears broadcasts (inside a namespace)."""


class UseCases:
    """Scenario verbs a test or a demo can play on a device."""

    def __init__(self, device: SimulatedDevice) -> None:
        self.device = device

    def motion(self) -> bool:
        behaviour = self.device.behaviour
        return behaviour.motion() if isinstance(behaviour, Camera) else False

    def press_power_button(self) -> None:
        state = self.device.state
        state.set(
            2,
            1 if self.device.model.startswith("yeelink") else 2,
            not state.get(2, 1 if self.device.model.startswith("yeelink") else 2),
        )

    def pm25_spike(self, value: float = 180.0) -> None:
        self.device.state.set(3, 6, float(value))


class SimulatedDevice:
    def __init__(self, config: DeviceConfig) -> None:
        spec = load_model_spec(config.model)
        behaviour_class = BEHAVIOURS[config.model]
        self.model = config.model
        self.identity = Identity(config.model, config.host, config.port)
        self.bind = config.bind or config.host
        if config.token:
            self.identity.token = config.token
        if config.did:
            self.identity.did = config.did
        self.state = DeviceState(spec, behaviour_class.initial)
        self.behaviour: Behaviour = behaviour_class(self.state)
        self.faults = Faults()
        self.miot = MiotHandler(spec, self.state, self.behaviour)
        self.server = MiioServer(self.identity, self.miot, self.faults)
        self.state.on_change.append(self.server.subscribers.property_changed)
        self.state.on_event.append(self.server.subscribers.event)
        self.use_cases = UseCases(self)
        self.snapshots = (
            SnapshotServer(config.host, config.snapshot_port, f"{config.model} {self.did}")
            if isinstance(self.behaviour, Camera)
            else None
        )

    host = property(lambda self: self.identity.host)
    did = property(lambda self: self.identity.did)
    token = property(lambda self: self.identity.token)
    mac = property(lambda self: self.identity.mac)

    @property
    def port(self) -> int:
        return self.identity.port

    @property
    def snapshot_url(self) -> str | None:
        return self.snapshots.url if self.snapshots else None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setblocking(False)
        try:
            sock.bind((self.bind, self.identity.port))
        except OSError:
            sock.close()
            raise
        self.identity.port = sock.getsockname()[1]
        await loop.create_datagram_endpoint(lambda: self.server, sock=sock)
        if self.snapshots is not None:
            await self.snapshots.start()

    async def stop(self) -> None:
        self.server.close()
        if self.snapshots is not None:
            await self.snapshots.stop()

    def get_property(self, siid: int, piid: int) -> Any:
        return self.state.get(siid, piid)

    def set_property(self, siid: int, piid: int, value: Any) -> None:
        self.state.set(siid, piid, value)

    def reboot(self) -> None:
        """The stamp restarts from zero; subscriptions and seen message ids are lost."""
        self.identity.reboot()
        self.server.forget()

    def change_token(self, token: str | None = None) -> str:
        """A new token, as after re-pairing; requests with the old one get no reply."""
        import secrets

        self.identity.token = token or secrets.token_hex(16)
        return self.identity.token

    def manifest_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": f"miio-{self.did}",
            "model": self.model,
            "host": self.host,
            "port": self.port,
            "did": self.did,
            "token": self.token,
        }
        if self.snapshot_url:
            entry["snapshot_url"] = self.snapshot_url
        return entry


class Fleet:
    def __init__(self, configs: list[DeviceConfig], tick: float = 1.0) -> None:
        self.devices = [SimulatedDevice(c) for c in configs]
        self.tick = tick
        self._ticker: asyncio.Task[None] | None = None

    @classmethod
    def from_counts(
        cls,
        count: int,
        models: list[str],
        host_base: str = "127.0.0.10",
        port: int = 54321,
        tick: float = 1.0,
        bind: str | None = None,
    ) -> Fleet:
        base = ipaddress.ip_address(host_base)
        configs = [
            DeviceConfig(models[i % len(models)], str(base + i), port, bind=bind)
            for i in range(count)
        ]
        return cls(configs, tick)

    async def __aenter__(self) -> Fleet:
        started: list[SimulatedDevice] = []
        try:
            for device in self.devices:
                await device.start()
                started.append(device)
        except BaseException:
            for device in started:
                await device.stop()
            raise
        self._ticker = asyncio.create_task(self._tick_loop(), name="sim-fleet-ticker")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        for device in self.devices:
            await device.stop()
        await asyncio.sleep(0)

    def manifest(self) -> list[dict[str, Any]]:
        return [d.manifest_entry() for d in self.devices]

    async def _tick_loop(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(self.tick)
            now = loop.time()
            for device in self.devices:
                device.behaviour.tick(now - last)
            last = now
