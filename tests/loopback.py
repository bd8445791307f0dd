"""Free loopback addresses for simulated devices, so tests never collide with anything else.

A simulated miIO device listens on its own address at the miIO port (54321) because that is
where real clients (python-miio, the hub's defaults) talk to it. A fixed address there
collides with a running ``mihub demo`` (127.0.0.100+) or a second test run. ``free_hosts``
picks addresses at random in 127.64.0.0-127.254.255.255 (never 127.0.x.x, where the demo and
people's own fleets live) and checks by binding that each is free right now::

    light, camera = free_hosts(2)
    Fleet.from_counts(3, models, host_base=free_hosts(3)[0])   # three consecutive addresses

With 12 million candidates, two runs picking the same one at once is not a real risk; a
test whose device needs no particular port should still bind port 0 instead, on a free
address all the same (``free_hosts(1000, port=0)``: the check then only proves each binds),
so that no test names a fixed address a demo or a person's own fleet may hold.
"""

from __future__ import annotations

import ipaddress
import random
import socket

MIIO_PORT = 54321
_FIRST = int(ipaddress.IPv4Address("127.64.0.1"))
_LAST = int(ipaddress.IPv4Address("127.254.255.254"))


def _free(host: str, port: int) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind((host, port))
            except OSError:
                return False
    return True


def free_hosts(count: int = 1, port: int = MIIO_PORT) -> list[str]:
    """``count`` consecutive loopback addresses on which ``port`` is free (UDP and TCP)."""
    for _ in range(100):
        start = random.randint(_FIRST, _LAST - count)
        hosts = [str(ipaddress.IPv4Address(start + i)) for i in range(count)]
        if all(_free(host, port) for host in hosts):
            return hosts
    raise RuntimeError(f"no {count} free loopback addresses with port {port} free")


def free_host(port: int = MIIO_PORT) -> str:
    """One loopback address on which ``port`` is free."""
    return free_hosts(1, port)[0]
