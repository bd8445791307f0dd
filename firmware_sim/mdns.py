"""Advertise simulated devices as ``_miio._udp.local.``, as real Xiaomi devices do.

Each device is ``<model with dashes>_miio<did>._miio._udp.local.`` (``zhimi-airpurifier-mb3_
miio123456``) at its host and miIO port, TXT ``mac`` and ``epoch``.

Off unless asked for: only ``--mdns ADDR`` / ``Fleet(mdns_interfaces=[...])`` switches it on,
and only for the interface addresses given. Multicast belongs inside a network namespace
(tests/lan); it must never reach a real network from a test.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from types import TracebackType
from typing import Protocol

from zeroconf import IPVersion, ServiceInfo
from zeroconf.asyncio import AsyncZeroconf

SERVICE_TYPE = "_miio._udp.local."


class Advertised(Protocol):
    @property
    def model(self) -> str: ...
    @property
    def did(self) -> int: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def mac(self) -> str: ...


def instance_name(model: str, did: int) -> str:
    return f"{model.replace('.', '-')}_miio{did}"


def service_name(model: str, did: int) -> str:
    return f"{instance_name(model, did)}.{SERVICE_TYPE}"


def service_info(device: Advertised) -> ServiceInfo:
    return ServiceInfo(
        SERVICE_TYPE,
        service_name(device.model, device.did),
        addresses=[socket.inet_aton(device.host)],
        port=device.port,
        properties={"mac": device.mac, "epoch": "1"},
        server=f"{instance_name(device.model, device.did)}.local.",
    )


class MdnsAdvertiser:
    """``async with MdnsAdvertiser(devices, ["10.0.0.2"]):`` registered while inside."""

    def __init__(self, devices: Sequence[Advertised], interfaces: Sequence[str]) -> None:
        if not interfaces:
            raise ValueError("mDNS needs the interface addresses to advertise on")
        self.devices = list(devices)
        self.interfaces = list(interfaces)
        self._zc: AsyncZeroconf | None = None

    async def __aenter__(self) -> MdnsAdvertiser:
        zc = self._zc = AsyncZeroconf(interfaces=self.interfaces, ip_version=IPVersion.V4Only)
        try:
            # Probe all names at once (each probe waits ~1 s), then wait for the announcements.
            announcing = await asyncio.gather(
                *(zc.async_register_service(service_info(d)) for d in self.devices)
            )
            await asyncio.gather(*announcing)
        except BaseException:
            await self._close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close()

    async def _close(self) -> None:
        zc, self._zc = self._zc, None
        if zc is not None:
            await zc.async_unregister_all_services()  # goodbye packets
            await zc.async_close()
