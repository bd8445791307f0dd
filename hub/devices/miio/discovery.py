"""Finding miIO devices: the hello packet (broadcast or unicast sweeps) and mDNS.

Discovery only ever sends where it is told: the broadcast addresses and hosts / CIDR ranges
in the config. Nothing here has a default target, so tests and the demo (which configure
loopback hosts or a network namespace) never touch a real network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from hub.devices.miio.wire import codec

_LOGGER = logging.getLogger(__name__)

MIIO_PORT = 54321
MDNS_TYPE = "_miio._udp.local."


@dataclass(frozen=True, slots=True)
class FoundDevice:
    host: str
    did: int
    stamp: int | None = None
    model: str | None = None
    via: str = "hello"
    after: float = 0.0
    """Seconds from the start of the scan to the first answer."""


def expand_targets(targets: Iterable[str], limit: int = 65536) -> Iterator[str]:
    """Hosts and CIDR ranges -> host addresses (a /24 gives its 254 hosts).

    A range leaves out its network and broadcast addresses (no device has them on a LAN),
    except on loopback, where every address is a host, and for /31 and /32 (RFC 3021).
    """
    count = 0
    for target in targets:
        network = ipaddress.ip_network(target, strict=False)
        whole = network.is_loopback or network.num_addresses <= 2
        hosts = iter(network) if whole else network.hosts()
        for address in hosts:
            count += 1
            if count > limit:
                raise ValueError(f"discovery targets expand past {limit} hosts")
            yield str(address)


class _HelloProtocol(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.found: dict[str, FoundDevice] = {}
        self.began = time.monotonic()

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        host = str(addr[0])
        hello = codec.parse_hello(data)
        if hello is None or host in self.found:
            return
        after = time.monotonic() - self.began
        self.found[host] = FoundDevice(host, hello.device_id, hello.stamp, after=after)

    def error_received(self, exc: Exception) -> None:
        _LOGGER.debug("hello socket error: %s", exc)


async def hello_scan(
    *,
    broadcast: Iterable[str] = (),
    hosts: Iterable[str] = (),
    rate: float = 100.0,
    listen: float = 1.5,
    bind: str = "0.0.0.0",  # noqa: S104 - must hear replies from the LAN it scans
    port: int = MIIO_PORT,
) -> list[FoundDevice]:
    """Send the hello to every target and collect the replies for ``listen`` seconds.

    Broadcasts go out three times (UDP is lossy); unicast sweeps are paced at ``rate``
    packets per second so a /16 does not flood a home router.
    """
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    sock.setblocking(False)
    sock.bind((bind, 0))
    transport, protocol = await loop.create_datagram_endpoint(_HelloProtocol, sock=sock)
    try:
        for _ in range(3):
            for address in broadcast:
                transport.sendto(codec.HELLO, (address, port))
        interval = 1.0 / rate
        next_send = loop.time()
        for address in expand_targets(hosts):
            if address in protocol.found:
                continue
            transport.sendto(codec.HELLO, (address, port))
            next_send += interval
            delay = next_send - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        await asyncio.sleep(listen)
    finally:
        transport.close()
    return sorted(protocol.found.values(), key=lambda d: ipaddress.ip_address(d.host))


def model_from_service_name(name: str) -> tuple[str, int] | None:
    """``zhimi-airpurifier-mb3_miio12345._miio._udp.local.`` -> (model, did)."""
    instance = name.split(".", 1)[0]
    model_part, sep, did_part = instance.rpartition("_miio")
    if not sep or not did_part.isdigit() or not model_part:
        return None
    return model_part.replace("-", "."), int(did_part)


async def mdns_scan(interfaces: list[str], listen: float = 1.5) -> list[FoundDevice]:
    """Browse ``_miio._udp.local.`` on the given interface addresses; model from the name.

    The interfaces are required: a hub multicasts only where it was told to.
    """
    from zeroconf import IPVersion, ServiceStateChange
    from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

    names: dict[str, float] = {}
    began = time.monotonic()

    def on_change(
        zeroconf: object, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if state_change is not ServiceStateChange.Removed:
            names.setdefault(name, time.monotonic() - began)

    azc = AsyncZeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
    found: list[FoundDevice] = []
    try:
        browser = AsyncServiceBrowser(azc.zeroconf, MDNS_TYPE, handlers=[on_change])
        await asyncio.sleep(listen)
        await browser.async_cancel()
        for name in sorted(names):
            parsed = model_from_service_name(name)
            info = AsyncServiceInfo(MDNS_TYPE, name)
            if parsed is None or not await info.async_request(azc.zeroconf, 500):
                continue
            addresses = info.parsed_addresses(IPVersion.V4Only)
            if addresses:
                model, did = parsed
                found.append(FoundDevice(addresses[0], did, None, model, "mdns", names[name]))
    finally:
        await azc.async_close()
    return found
