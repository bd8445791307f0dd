"""The miIO side of a running hub: the transport, onboarding with retries, and discovery.

Configured devices are onboarded at start; the ones that do not answer yet (unplugged, a
wrong token) are retried in the background with backoff, without holding up the start. Devices
known from the store come back at once, marked stale, and re-attach as soon as they answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from hub.config import MiioSection
from hub.devices.miio.adapter import MiioAdapter
from hub.devices.miio.discovery import hello_scan, mdns_scan
from hub.devices.miio.transport import MiioTransport
from hub.devices.model import Protocol
from hub.devices.registry import DeviceRegistry
from hub.errors import DeviceAuthError, DeviceError, HubError, ProtocolError

_LOGGER = logging.getLogger(__name__)


@dataclass
class Target:
    host: str
    token: str
    port: int = 54321
    name: str | None = None
    room: str | None = None
    model: str | None = None
    snapshot_port: int = 8080


class MiioRuntime:
    def __init__(self, config: MiioSection, registry: DeviceRegistry) -> None:
        self.config = config
        self.registry = registry
        self.transport = MiioTransport((config.bind, config.port), timeout=config.timeout)
        self.adapter = MiioAdapter(registry, self.transport, poll_slow=config.poll_interval)
        self.needs_token: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self.transport.__aenter__()
        for target in await self._targets():
            self._spawn(self._onboard_forever(target), f"miio-onboard-{target.host}")
        discovery = self.config.discovery
        if discovery.broadcast or discovery.hosts or discovery.mdns:
            self._spawn(self._discover_forever(), "miio-discovery")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.adapter.stop()
        await self.transport.__aexit__(None, None, None)

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _targets(self) -> list[Target]:
        targets = {
            d.host: Target(d.host, d.token, d.port, d.name, d.room, d.model, d.snapshot_port)
            for d in self.config.devices
            if d.token
        }
        for device in self.registry.devices.values():
            host = device.endpoint.get("host")
            if device.protocol is not Protocol.MIIO or not host or host in targets:
                continue
            token = await self.registry.secret(device.id, "token")
            if token:
                targets[host] = Target(host, token, int(device.endpoint.get("port", 54321)))
        return list(targets.values())

    async def _onboard_forever(self, target: Target) -> None:
        delay = 1.0
        while True:
            try:
                device = await self.adapter.onboard(
                    target.host, target.token, port=target.port, name=target.name,
                    room=target.room, model=target.model, snapshot_port=target.snapshot_port,
                )  # fmt: skip
                await self.adapter.subscribe(device.id)
                _LOGGER.info("%s (%s) at %s is online", device.name, device.model, target.host)
                return
            except DeviceAuthError as exc:
                _LOGGER.warning("%s: %s", target.host, exc)
                delay = 300.0
            except ProtocolError as exc:  # it answers, in words the hub cannot use
                _LOGGER.warning("%s answers, in replies the hub cannot use: %s", target.host, exc)
            except HubError as exc:
                _LOGGER.info(
                    "%s not reachable yet (%s); retrying in %.0f s", target.host, exc, delay
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 300.0)

    async def discover_once(self) -> None:
        discovery = self.config.discovery
        found = await hello_scan(
            broadcast=discovery.broadcast, hosts=discovery.hosts, rate=discovery.rate,
            bind=self.config.bind,
        )  # fmt: skip
        if discovery.mdns:
            found += await mdns_scan(discovery.mdns_interfaces or [self.config.bind])
        attached = {link.device.endpoint.get("host") for link in self.adapter.links.values()}
        for dev in found:
            if dev.host in attached:
                continue
            token = await self.registry.secret(f"miio-{dev.did}", "token")
            if token:
                self._spawn(
                    self._onboard_forever(Target(dev.host, token)), f"miio-onboard-{dev.host}"
                )
            elif dev.host not in self.needs_token:
                self.needs_token[dev.host] = dev.did
                _LOGGER.info(
                    "found a miIO device at %s (did %d%s) that needs its token: add it to "
                    "config.yaml under miio.devices", dev.host, dev.did,
                    f", {dev.model}" if dev.model else "",
                )  # fmt: skip

    async def _discover_forever(self) -> None:
        while True:
            with contextlib.suppress(OSError, DeviceError):
                await self.discover_once()
            if self.config.discovery.interval <= 0:
                return
            await asyncio.sleep(self.config.discovery.interval)
