"""The miIO side of a running hub: the transport, one connection per device, discovery.

Configured devices (and the ones known from the store) each get a :class:`MiioConnection` at
start; the one :class:`PollScheduler` runs them all, so a device that does not answer yet
(unplugged, a wrong token) is retried with its connection's backoff without holding up the
start. Devices known from the store come back at once, marked stale, and re-attach as soon
as they answer. Discovery wakes the connection of a device it sees instead of starting
another. The runtime is the registry's adapter for miIO devices: commands go to the device's
connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from hub.config import MiioDeviceConfig, MiioSection
from hub.devices.miio.connection import ConnectionState, MiioConnection, Target, Timing
from hub.devices.miio.discovery import hello_scan, mdns_scan
from hub.devices.miio.poller import PollScheduler
from hub.devices.miio.wire.codec import check_token
from hub.devices.miio.wire.session import Address
from hub.devices.miio.wire.transport import MIIO_PORT, MiioTransport
from hub.devices.model import Device, Feature, Protocol, Value
from hub.devices.registry import DeviceRegistry
from hub.errors import DeviceError, InvalidValue, NotFound

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TokenProblem:
    """A device on the LAN the hub cannot talk to for want of its right token."""

    host: str
    did: int
    problem: str
    """``needs_token`` (found, no token known) or ``token_rejected`` (re-paired since)."""
    device_id: str | None = None
    name: str | None = None


def configured_target(device: MiioDeviceConfig, token: str) -> Target:
    """A device of config.yaml's ``miio.devices``, as a connection's target."""
    return Target(device.host, token, device.port, device.name, device.room, device.model,
                  device.snapshot_url)  # fmt: skip


class MiioRuntime:
    def __init__(
        self, config: MiioSection, registry: DeviceRegistry, timing: Timing | None = None
    ) -> None:
        self.config = config
        self.registry = registry
        self.transport = MiioTransport(
            (config.bind, config.port), timeout=config.timeout, deadline=config.deadline
        )
        self.timing = timing or Timing(slow=config.poll_interval)
        self.scheduler = PollScheduler(batch=min(0.5, self.timing.fast / 4))  # finer than fast
        self.connections: dict[Address, MiioConnection] = {}
        """By (host, port): one device per address."""
        self.needs_token: dict[str, int] = {}
        self._discovery: asyncio.Task[None] | None = None
        registry.adapters[Protocol.MIIO] = self

    async def start(self) -> None:
        await self.transport.__aenter__()
        for target in await self._targets():
            await self.add(target)
        discovery = self.config.discovery
        if discovery.broadcast or discovery.hosts or discovery.mdns:
            self._discovery = asyncio.create_task(self._discover_forever(), name="miio-discovery")

    async def stop(self) -> None:
        if self._discovery is not None:
            self._discovery.cancel()
            await asyncio.gather(self._discovery, return_exceptions=True)
            self._discovery = None
        for connection in self.connections.values():
            await connection.stop()
        self.connections.clear()
        await self.scheduler.stop()
        await self.transport.__aexit__(None, None, None)

    async def add(self, target: Target) -> MiioConnection:
        """Connect to the device at ``target`` (replacing any connection to that host)."""
        old = self.connections.pop((target.host, target.port), None)
        if old is not None:
            await old.stop()
        session = self.transport.session(target.host, target.token, port=target.port)
        connection = MiioConnection(target, session, self.registry, self.scheduler, self.timing)
        self.connections[(target.host, target.port)] = connection
        connection.start()
        return connection

    def online(self) -> list[MiioConnection]:
        return [c for c in self.connections.values() if c.online]

    async def _targets(self) -> list[Target]:
        targets = {(d.host, d.port): configured_target(d, d.token)
                   for d in self.config.devices if d.token}  # fmt: skip
        for device in self.registry.devices.values():
            host = device.endpoint.get("host")
            port = int(device.endpoint.get("port", MIIO_PORT))
            if device.protocol is not Protocol.MIIO or not host or (host, port) in targets:
                continue
            token = await self.registry.secret(device.id, "token")
            if token:
                url = device.endpoint.get("snapshot_url")
                targets[(host, port)] = Target(host, token, port, snapshot_url=url)
        return list(targets.values())

    # ---- discovery ----------------------------------------------------------------------

    async def discover_once(self) -> None:
        discovery = self.config.discovery
        found = await hello_scan(
            broadcast=discovery.broadcast, hosts=discovery.hosts, rate=discovery.rate,
            bind=self.config.bind,
        )  # fmt: skip
        if discovery.mdns:
            found += await mdns_scan(discovery.mdns_interfaces or [self.config.bind])
        by_device = {c.device.id: c for c in self.connections.values() if c.device}
        for dev in found:
            connection = self.connections.get((dev.host, MIIO_PORT))
            if connection is not None:
                if connection.state is ConnectionState.OFFLINE:
                    connection.wake()  # it is there: try now instead of after the backoff
                continue  # a wrong token stays wrong until a person gives one: its 300 s hold
            moved = by_device.get(f"miio-{dev.did}")
            if moved is not None:  # a new address (DHCP): the same device, moved
                await moved.stop()
                del self.connections[(moved.target.host, moved.target.port)]
                await self.add(replace(moved.target, host=dev.host))
                continue
            token = await self.registry.secret(f"miio-{dev.did}", "token")
            if token:
                self.needs_token.pop(dev.host, None)
                await self.add(Target(dev.host, token))
            elif dev.host not in self.needs_token:
                self.needs_token[dev.host] = dev.did
                _LOGGER.info(
                    "found a miIO device at %s (did %d%s) that needs its token: add it to "
                    "config.yaml under miio.devices", dev.host, dev.did,
                    f", {dev.model}" if dev.model else "",
                )  # fmt: skip

    # ---- tokens a person has to give ----------------------------------------------------

    def token_problems(self) -> list[TokenProblem]:
        """Found without a token, or answering with another token than the hub's."""
        found = self.needs_token.items()
        problems = [TokenProblem(host, did, "needs_token") for host, did in found]
        for c in self.connections.values():
            if c.state is ConnectionState.WRONG_TOKEN:  # known from the store, maybe
                known = c.device or self.registry.devices.get(f"miio-{c.session.device_id}")
                problems.append(TokenProblem(c.target.host, c.session.device_id, "token_rejected",
                                             known.id if known else None,
                                             known.name if known else None))  # fmt: skip
        return problems

    async def use_token(self, host: str, token: str) -> str:
        """A token a person gave for the device at ``host`` (one waiting for it): kept, and
        the device connected with it. Returns its device id. InvalidValue for a malformed
        token or a device whose token config.yaml gives, NotFound when no device there waits."""
        check_token(token)
        connection = self.connections.get((host, MIIO_PORT))
        if connection is not None and connection.state is ConnectionState.WRONG_TOKEN:
            did, target = connection.session.device_id, replace(connection.target, token=token)
        else:
            did, target = self.needs_token.get(host, 0), Target(host, token)
        if not did:
            raise NotFound(f"no device at {host} is waiting for a token")
        if any(d.host == host and d.token for d in self.config.devices):
            raise InvalidValue(
                f"config.yaml gives {host} its token, and it wins at every start: change it "
                "there, then reload the config (SIGHUP, or POST /api/system/reload)"
            )
        await self.registry.set_secret(f"miio-{did}", "token", token)
        self.needs_token.pop(host, None)
        await self.add(target)
        return f"miio-{did}"

    async def _discover_forever(self) -> None:
        while True:
            with contextlib.suppress(OSError, DeviceError):
                await self.discover_once()
            if self.config.discovery.interval <= 0:
                return
            await asyncio.sleep(self.config.discovery.interval)

    # ---- the registry's adapter ----------------------------------------------------------

    def _connection(self, device: Device) -> MiioConnection:
        address = (str(device.endpoint.get("host")), int(device.endpoint.get("port", MIIO_PORT)))
        connection = self.connections.get(address)
        if connection is None or connection.device is None or connection.device.id != device.id:
            raise DeviceError(f"{device.name} is not connected yet")
        return connection

    async def set_value(self, device: Device, feature: Feature, value: Value) -> None:
        await self._connection(device).set_value(feature, value)

    def recheck(self, device: Device) -> None:
        """A command was refused to ``device`` as offline: try it now, not at its backoff."""
        with contextlib.suppress(DeviceError):
            connection = self._connection(device)
            if not connection.online:
                connection.wake()

    async def call_action(
        self, device: Device, feature: Feature, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        return await self._connection(device).call_action(feature, args)
