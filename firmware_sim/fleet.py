"""Start simulated devices: one miIO server per device, each on its own loopback address.

    async with Fleet([DeviceConfig("zhimi.airpurifier.mb3", "127.0.0.10")], tick=1.0) as fleet:
        dev = fleet.devices[0]
        dev.faults.loss = 0.3
        fleet.manifest()   # [{"id", "model", "host", "port", "did", "token"(, "snapshot_url")}]

    Fleet.from_counts(count=1000, models=["zhimi.airpurifier.mb3"], host_base="127.0.0.10")
    Fleet.from_yaml("fleet.yaml")

A fleet YAML file::

    tick: 1.0            # optional: seconds between behaviour steps
    time_scale: 1.0      # optional: simulated seconds per real second
    devices:
      - {model: zhimi.airpurifier.mb3, host: 127.0.0.10, token: 00112233445566778899aabbccddeeff}
      - {model: yeelink.light.color2, host: 127.0.0.20, count: 5}   # 127.0.0.20 .. 127.0.0.24

The fleet advances every device's behaviour every ``tick`` seconds (``time_scale`` simulated
seconds per real second, so tests can watch an hour of air go by in a moment). It advertises
on mDNS only when given ``mdns_interfaces``, which belong inside a network namespace.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from firmware_sim.mdns import MdnsAdvertiser
from firmware_sim.miio.device import DeviceConfig, SimulatedDevice

__all__ = ["DeviceConfig", "Fleet", "SimulatedDevice", "hosts_from"]

_LOGGER = logging.getLogger(__name__)
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
CONFIG_KEYS = frozenset(DeviceConfig.__dataclass_fields__)


def hosts_from(host_base: str, count: int) -> list[str]:
    """``count`` consecutive addresses from ``host_base``, which must stay on loopback unless
    the first one is not on loopback at all (a namespace's own address)."""
    base = ipaddress.ip_address(host_base)
    hosts = [base + i for i in range(count)]
    if base in LOOPBACK and hosts and hosts[-1] not in LOOPBACK:
        raise ValueError(f"{count} devices from {host_base} run past 127.255.255.255")
    return [str(h) for h in hosts]


class Fleet:
    def __init__(
        self,
        configs: Iterable[DeviceConfig],
        tick: float = 1.0,
        *,
        time_scale: float = 1.0,
        mdns_interfaces: Sequence[str] | None = None,
    ) -> None:
        if tick <= 0 or time_scale < 0:
            raise ValueError("tick must be above 0 and time_scale at least 0")
        self.devices = [SimulatedDevice(c) for c in configs]
        self.tick = tick
        self.time_scale = time_scale
        self.mdns_interfaces = list(mdns_interfaces or [])
        self._ticker: asyncio.Task[None] | None = None
        self._stack: contextlib.AsyncExitStack | None = None

    @classmethod
    def from_counts(
        cls,
        count: int,
        models: Sequence[str],
        host_base: str = "127.0.0.10",
        port: int = 54321,
        tick: float = 1.0,
        bind: str | None = None,
        *,
        snapshot_port: int = 8080,
        time_scale: float = 1.0,
        mdns_interfaces: Sequence[str] | None = None,
    ) -> Fleet:
        """``count`` devices on consecutive addresses, the models taken round-robin."""
        if not models:
            raise ValueError("from_counts needs at least one model")
        configs = [
            DeviceConfig(
                models[i % len(models)], host, port, bind=bind, snapshot_port=snapshot_port
            )
            for i, host in enumerate(hosts_from(host_base, count))
        ]
        return cls(configs, tick, time_scale=time_scale, mdns_interfaces=mdns_interfaces)

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> Fleet:
        """A fleet from a YAML file (read at once: call it before the loop runs, or in a
        thread). ``overrides`` (tick, time_scale, mdns_interfaces) beat the file's values."""
        path = Path(path)
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, Mapping) or not isinstance(data.get("devices"), list):
            raise ValueError(f"{path}: expected a mapping with a 'devices' list")
        configs: list[DeviceConfig] = []
        for index, entry in enumerate(data["devices"]):
            configs.extend(_configs_from_entry(entry, f"{path}: devices[{index}]"))
        options = {k: data[k] for k in ("tick", "time_scale") if k in data} | overrides
        return cls(configs, **options)

    async def __aenter__(self) -> Fleet:
        async with contextlib.AsyncExitStack() as stack:
            for device in self.devices:
                await stack.enter_async_context(device)
            if self.mdns_interfaces:
                advertiser = MdnsAdvertiser(list(self.devices), self.mdns_interfaces)
                await stack.enter_async_context(advertiser)
            self._ticker = asyncio.create_task(self._tick_loop(), name="sim-fleet-ticker")
            stack.push_async_callback(self._stop_ticker)
            self._stack = stack.pop_all()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.aclose()
        await asyncio.sleep(0)  # let the closed transports finish closing

    def manifest(self) -> list[dict[str, Any]]:
        """What a client needs to reach every device: id, model, host, port, did, token, and
        snapshot_url for cameras."""
        return [device.manifest_entry() for device in self.devices]

    def by_host(self, host: str) -> SimulatedDevice:
        for device in self.devices:
            if device.host == host:
                return device
        raise KeyError(host)

    async def _stop_ticker(self) -> None:
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker

    async def _tick_loop(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(self.tick)
            now = loop.time()
            dt = (now - last) * self.time_scale
            last = now
            for device in self.devices:
                try:
                    device.tick(dt)
                except Exception:  # one broken behaviour must not stop the others' clocks
                    _LOGGER.exception("%s %s: behaviour tick failed", device.model, device.host)


def _configs_from_entry(entry: Any, where: str) -> list[DeviceConfig]:
    if not isinstance(entry, Mapping) or "model" not in entry or "host" not in entry:
        raise ValueError(f"{where} needs at least a model and a host")
    options = dict(entry)
    count = options.pop("count", 1)
    unknown = sorted(set(options) - CONFIG_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}; known: {sorted(CONFIG_KEYS)}")
    if not isinstance(count, int) or count < 1:
        raise ValueError(f"{where}: count must be a whole number above 0")
    if count > 1 and ({"token", "did", "mac"} & set(options)):
        raise ValueError(f"{where}: token, did and mac are per device: not with a count")
    try:
        return [
            DeviceConfig(**(options | {"host": host}))
            for host in hosts_from(str(options["host"]), count)
        ]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: {exc}") from exc
