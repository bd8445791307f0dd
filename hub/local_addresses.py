"""This machine's addresses, as the command line needs them.

- :func:`phone_host`: the address to put in a pairing link when the hub listens on every
  interface (``0.0.0.0`` is not an address a phone can open);
- :func:`first_taken`: which of the addresses a command wants to bind is already in use, so
  "address already in use" can say which one.

Nothing here sends a packet: a UDP ``connect`` only asks the routing table.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket

UNSPECIFIED = {"0.0.0.0", "::", ""}  # noqa: S104 - names of "every interface", compared only
_ROUTE_PROBE = "192.0.2.1"  # TEST-NET-1 (RFC 5737): never routed; connect() sends nothing


def phone_host(host: str) -> str | None:
    """``host`` itself, or for 0.0.0.0 / :: this machine's LAN address (None: it has none)."""
    if host not in UNSPECIFIED:
        return host
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect((_ROUTE_PROBE, 9))
        address = str(probe.getsockname()[0])
        if not ipaddress.ip_address(address).is_loopback and address not in UNSPECIFIED:
            return address
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            address = str(info[4][0])
            if not ipaddress.ip_address(address).is_loopback:
                return address
    return None


def first_taken(addresses: list[tuple[str, int, int]]) -> str | None:
    """The first ``(host, port, socket type)`` that cannot be bound now, as ``host:port``."""
    for host, port, kind in addresses:
        with socket.socket(socket.AF_INET, kind) as sock:
            if kind == socket.SOCK_STREAM:  # as asyncio's servers do
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError:
                return f"{host}:{port}" + (" (UDP)" if kind == socket.SOCK_DGRAM else "")
    return None
