"""MiioTransport: ONE asyncio UDP endpoint shared by every miIO device.

    async with MiioTransport(bind=("127.0.0.1", 0)) as transport:
        session = transport.session("192.168.1.20", token)
        values = await session.get_properties([(2, 1), (2, 2)])

Each device gets a :class:`~hub.devices.miio.wire.session.MiioSession` (handshake, stamps, ids,
retries, one request in flight); the transport only owns the socket and routes each datagram
to the session of the address it came from. A datagram from an address with no session is
counted and dropped; so are late and duplicate replies (``transport.stats``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any

from hub.backoff import Backoff
from hub.devices.miio.wire.session import Address, MiioSession
from hub.errors import DeviceError, InvalidValue

_LOGGER = logging.getLogger(__name__)

MIIO_PORT = 54321
MAX_IN_FLIGHT = 64
"""Packets awaiting a reply across all devices. Bounds a burst of replies (polling 1,000
devices at once) to what the default socket buffer holds (212 kB, ~2.3 kB per queued reply);
devices beyond it wait their turn instead of losing replies to the kernel."""
RECEIVE_BUFFER = 1 << 20
"""Socket buffer asked for (the kernel caps it at net.core.rmem_max)."""

__all__ = ["MIIO_PORT", "MiioSession", "MiioTransport", "RetryPolicy", "TransportStats"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long to wait and how often to retry. Defaults suit a home LAN (see docs)."""

    timeout: float = 1.0
    """Seconds to wait for a hello reply and for each attempt of a request.

    A LAN round trip is 1-20 ms and a Wi-Fi device in power save answers within ~300 ms;
    a reply later than 1 s was almost always lost, and a retry recovers it sooner than a
    longer wait would (python-miio waits 5 s). A slower reply to an earlier attempt still
    answers the call, so a slow device needs no longer waits, only the deadline."""
    retries: int = 4
    growth: float = 1.0
    """Each retry of a request may wait this much longer than the one before."""
    deadline: float = 5.0
    """Seconds a call may take in all, queueing and retries included, whatever the device does."""
    auth_silence: int = 12
    """Requests in a row a device answering hellos may ignore before its token is called wrong.

    Under 30 % loss an attempt fails about half the time: 12 in a row is ~1 in 3,000."""
    backoff: float = 0.05
    """Pause before a retry after a timeout (the hub's :class:`Backoff` curve from here)."""
    busy_backoff: float = 0.2
    """Pause before a retry after -9999 / -30001 (the device asked us to wait)."""
    max_backoff: float = 2.0

    def attempt_timeout(self, attempt: int) -> float:
        return float(self.timeout * self.growth**attempt)

    def pause(self, attempt: int, busy: bool) -> float:
        initial = self.busy_backoff if busy else self.backoff
        return Backoff(initial, max(initial, self.max_backoff), jitter=0.5).delay(attempt)


@dataclass(slots=True)
class TransportStats:
    """Counters of what the shared socket saw; cheap enough to keep always on."""

    sent: int = 0
    received: int = 0
    hellos: int = 0
    retries: int = 0
    late_replies: int = 0
    """Replies to a request we no longer wait for (a timed-out attempt) or duplicates."""
    unknown_sender: int = 0
    malformed: int = 0
    auth_failures: int = 0
    pushes: int = 0
    duplicate_pushes: int = 0
    reboots: int = 0


class _Endpoint(asyncio.DatagramProtocol):
    __slots__ = ("_sessions", "_stats")

    def __init__(self, sessions: dict[Address, MiioSession], stats: TransportStats) -> None:
        self._sessions = sessions
        self._stats = stats

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self._stats.received += 1
        session = self._sessions.get((addr[0], addr[1]))
        if session is None:
            self._stats.unknown_sender += 1
            return
        try:
            session.received(data)
        except Exception:  # an exception here would make asyncio close the shared socket
            _LOGGER.exception("miIO: handling a packet from %s failed", addr[0])

    def error_received(self, exc: Exception) -> None:
        # ICMP "port unreachable" from a device that is down: the retry logic copes.
        _LOGGER.debug("miIO socket: %s", exc)


class MiioTransport:
    """The shared socket; an async context manager. Sessions live as long as it does."""

    def __init__(
        self,
        bind: tuple[str, int] = ("0.0.0.0", 0),  # noqa: S104 - devices answer from the LAN
        *,
        timeout: float | None = None,
        retries: int | None = None,
        deadline: float | None = None,
        policy: RetryPolicy | None = None,
        receive_buffer: int = RECEIVE_BUFFER,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        policy = policy or RetryPolicy()
        if timeout is not None:
            policy = replace(policy, timeout=timeout)
        if retries is not None:
            policy = replace(policy, retries=retries)
        if deadline is not None:
            policy = replace(policy, deadline=deadline)
        self.bind = bind
        self.policy = policy
        self.receive_buffer = receive_buffer
        self._slots = asyncio.Semaphore(max_in_flight)
        self.stats = TransportStats()
        self._sessions: dict[Address, MiioSession] = {}
        self._udp: asyncio.DatagramTransport | None = None

    async def __aenter__(self) -> MiioTransport:
        loop = asyncio.get_running_loop()
        endpoint = _Endpoint(self._sessions, self.stats)
        udp, _ = await loop.create_datagram_endpoint(lambda: endpoint, local_addr=self.bind)
        self._udp = udp
        with contextlib.suppress(OSError):  # the kernel caps it at net.core.rmem_max
            sock = udp.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for session in self._sessions.values():
            session.close(DeviceError("the miIO transport is closed"))
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        await asyncio.sleep(0)  # let the selector drop the socket

    @property
    def local_address(self) -> Address:
        """Where devices send replies and pushes (host, port)."""
        if self._udp is None:
            raise DeviceError("the miIO transport is not running")
        host, port = self._udp.get_extra_info("sockname")[:2]
        return (str(host), int(port))

    @property
    def sessions(self) -> dict[Address, MiioSession]:
        return dict(self._sessions)

    def session(self, host: str, token: str, port: int = MIIO_PORT) -> MiioSession:
        """The device at ``host:port`` (an IP address); created on first use.

        Asking again with another token re-keys the same session (the device was re-paired).
        Raises InvalidValue for a host that is not an IP address or a malformed token.
        """
        try:
            host = str(ipaddress.ip_address(host))
        except ValueError:
            raise InvalidValue(f"a miIO device host must be an IP address, not {host!r}") from None
        key = (host, port)
        session = self._sessions.get(key)
        if session is None:
            session = MiioSession(
                host, port, token, self._sendto, self.policy, self.stats, self._slots
            )
            self._sessions[key] = session
        elif session.token != token:
            session.rekey(token)
        return session

    def forget(self, session: MiioSession) -> None:
        """Stop routing datagrams to ``session`` (a device removed from the hub)."""
        if self._sessions.get(session.address) is session:
            del self._sessions[session.address]
        session.close(DeviceError(f"{session.host} was removed"))

    def _sendto(self, data: bytes, addr: Address) -> None:
        udp = self._udp
        if udp is None:
            raise DeviceError("the miIO transport is not running")
        self.stats.sent += 1
        udp.sendto(data, addr)
