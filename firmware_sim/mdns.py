"""Advertise simulated devices as ``_miio._udp.local.``, as real Xiaomi devices do.

Only ever switched on explicitly, for the interface addresses given: multicast must stay
inside a network namespace (tests/lan) and never reach a real network from a test.
"""

from __future__ import annotations

import socket
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


def service_name(model: str, did: int) -> str:
    return f"{model.replace('.', '-')}_miio{did}.{SERVICE_TYPE}"


class MdnsAdvertiser:
    def __init__(self, devices: list[Advertised], interfaces: list[str]) -> None:
        if not interfaces:
            raise ValueError("mDNS needs the interface addresses to advertise on")
        self.devices = devices
        self.interfaces = interfaces
        self._zc: AsyncZeroconf | None = None
        self._infos: list[ServiceInfo] = []

    async def __aenter__(self) -> MdnsAdvertiser:
        self._zc = AsyncZeroconf(interfaces=self.interfaces, ip_version=IPVersion.V4Only)
        for device in self.devices:
            name = service_name(device.model, device.did)
            info = ServiceInfo(
                SERVICE_TYPE,
                name,
                addresses=[socket.inet_aton(device.host)],
                port=device.port,
                properties={"mac": device.mac, "epoch": "1"},
                server=f"{name.split('.')[0]}.local.",
            )
            await self._zc.async_register_service(info)
            self._infos.append(info)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._zc is not None:
            for info in self._infos:
                await self._zc.async_unregister_service(info)
            await self._zc.async_close()
            self._zc = None
