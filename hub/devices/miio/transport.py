"""MiioTransport: ONE asyncio UDP endpoint for every miIO device, and a session per device.

A session does the hello handshake (device id, stamp), advances the stamp with local time,
numbers messages (wrapping below 10000, skipping ahead 100 on each retry because devices
ignore a repeated id), keeps one request in flight per device and retries with backoff on
timeouts and on the device's "busy" errors (-9999, -30001). Replies are matched by
(address, id); late and duplicate replies are dropped and counted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from hub.devices.miio import codec
from hub.errors import DeviceAuthError, DeviceError, DeviceTimeout, ProtocolError

_LOGGER = logging.getLogger(__name__)

RETRY_CODES = frozenset({-9999, -30001})
Address = tuple[str, int]
RequestHandler = Callable[["MiioSession", dict[str, Any]], None]


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self, owner: MiioTransport) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.owner._received(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        _LOGGER.debug("miIO socket error: %s", exc)


class MiioTransport:
    """``async with MiioTransport(bind=("127.0.0.1", 0)) as transport:``"""

    def __init__(
        self,
        bind: tuple[str, int] = ("0.0.0.0", 0),  # noqa: S104 - devices answer from the LAN
        timeout: float = 2.0,
        retries: int = 3,
    ) -> None:
        self.bind = bind
        self.timeout = timeout
        self.retries = retries
        self.sessions: dict[Address, MiioSession] = {}
        self.dropped = 0
        self._udp: asyncio.DatagramTransport | None = None

    async def __aenter__(self) -> MiioTransport:
        loop = asyncio.get_running_loop()
        self._udp, _ = await loop.create_datagram_endpoint(
            lambda: _Endpoint(self), local_addr=self.bind
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for session in self.sessions.values():
            session._fail_pending(DeviceError("transport closed"))
        if self._udp is not None:
            self._udp.close()
            self._udp = None

    def session(self, host: str, token: str, port: int = 54321) -> MiioSession:
        key = (host, port)
        session = self.sessions.get(key)
        if session is None or session.token != token:
            session = MiioSession(self, host, port, token)
            self.sessions[key] = session
        return session

    def sendto(self, data: bytes, addr: Address) -> None:
        if self._udp is None:
            raise DeviceError("the miIO transport is not running")
        self._udp.sendto(data, addr)

    def _received(self, data: bytes, addr: Address) -> None:
        session = self.sessions.get(addr)
        if session is None:
            self.dropped += 1
            return
        session._received(data)


class MiioSession:
    """One device: handshake, stamps, ids, one request in flight, retries."""

    def __init__(self, transport: MiioTransport, host: str, port: int, token: str) -> None:
        self.transport = transport
        self.host = host
        self.port = port
        self.token = token
        self.device_id = 0
        self.reboots = 0
        self.on_reboot: Callable[[], None] | None = None
        self.on_request: RequestHandler | None = None
        self._stamp = 0
        self._stamp_at = 0.0
        self._handshaken = False
        self._next_id = 0
        self._lock = asyncio.Lock()
        self._pending_id: int | None = None
        self._pending: asyncio.Future[dict[str, Any]] | None = None
        self._hello: asyncio.Future[codec.Message] | None = None
        self._auth_failure: DeviceAuthError | None = None

    @property
    def address(self) -> Address:
        return (self.host, self.port)

    @property
    def stamp(self) -> int:
        return self._stamp + int(time.monotonic() - self._stamp_at)

    def _new_id(self, skip: int = 1) -> int:
        self._next_id = (self._next_id + skip) % 10000 or 1
        return self._next_id

    async def handshake(self) -> codec.Message:
        """Send the hello; learn (or re-learn) the device id and stamp."""
        loop = asyncio.get_running_loop()
        for attempt in range(self.transport.retries):
            self._hello = loop.create_future()
            self.transport.sendto(codec.HELLO, self.address)
            try:
                hello = await asyncio.wait_for(self._hello, self.transport.timeout)
            except TimeoutError:
                await asyncio.sleep(0.05 * 2**attempt)
                continue
            finally:
                self._hello = None
            if self._handshaken and hello.stamp + 5 < self.stamp:
                self.reboots += 1
                _LOGGER.info("%s rebooted (stamp %d -> %d)", self.host, self.stamp, hello.stamp)
                if self.on_reboot is not None:
                    self.on_reboot()
            self.device_id, self._stamp, self._stamp_at = (
                hello.device_id,
                hello.stamp,
                time.monotonic(),
            )
            self._handshaken = True
            return hello
        raise DeviceTimeout(f"{self.host} does not answer the miIO hello")

    async def send(self, method: str, params: Any = None) -> Any:
        """Send a request; return its ``result`` or raise a typed error."""
        async with self._lock:
            return await self._send_locked(method, [] if params is None else params)

    async def _send_locked(self, method: str, params: Any) -> Any:
        if not self._handshaken:
            await self.handshake()
        loop = asyncio.get_running_loop()
        skip = 1
        timeouts = 0
        for attempt in range(self.transport.retries + 1):
            msg_id = self._new_id(skip)
            skip = 100
            packet = codec.build(
                self.token,
                self.device_id,
                self.stamp + 1,
                {"id": msg_id, "method": method, "params": params},
            )
            self._pending_id, self._pending = msg_id, loop.create_future()
            self._auth_failure = None
            self.transport.sendto(packet, self.address)
            try:
                reply = await asyncio.wait_for(self._pending, self.transport.timeout)
            except TimeoutError:
                if self._auth_failure is not None:
                    raise self._auth_failure from None
                timeouts += 1
                await self.handshake()  # raises DeviceTimeout when the device is gone
                await asyncio.sleep(0.05 * 2**attempt)
                continue
            finally:
                self._pending_id, self._pending = None, None
            error = reply.get("error")
            if error is None:
                return reply.get("result")
            code = error.get("code") if isinstance(error, dict) else None
            message = error.get("message", str(error)) if isinstance(error, dict) else str(error)
            if code in RETRY_CODES and attempt < self.transport.retries:
                await asyncio.sleep(0.1 * 2**attempt)
                continue
            raise DeviceError(f"{self.host}: {method} failed: {message}", code)
        if timeouts:
            raise DeviceAuthError(
                f"{self.host} answers the hello but ignores our requests: "
                "the token is probably wrong (was the device re-paired?)"
            )
        raise DeviceError(f"{self.host}: {method} kept failing with a busy error")

    def _received(self, data: bytes) -> None:
        hello = codec.parse_hello(data)
        if hello is not None:
            if self._hello is not None and not self._hello.done():
                self._hello.set_result(hello)
            return
        try:
            packet = codec.parse(self.token, data)
        except DeviceAuthError as exc:
            self._auth_failure = exc
            self.transport.dropped += 1
            return
        except ProtocolError as exc:
            _LOGGER.debug("%s: unreadable packet: %s", self.host, exc)
            self.transport.dropped += 1
            return
        payload = packet.payload
        if payload is None:
            return
        if "method" in payload:
            if self.on_request is not None:
                self.on_request(self, payload)
            return
        if payload.get("id") != self._pending_id or self._pending is None or self._pending.done():
            self.transport.dropped += 1  # late, duplicate or unknown reply
            return
        self._stamp, self._stamp_at = packet.stamp, time.monotonic()
        self._pending.set_result(payload)

    def reply(self, msg_id: int, result: Any) -> None:
        """Answer a request the device sent us (a push), with our own stamp."""
        packet = codec.build(
            self.token, self.device_id, self.stamp, {"id": msg_id, "result": result}
        )
        self.transport.sendto(packet, self.address)

    def _fail_pending(self, exc: Exception) -> None:
        for future in (self._pending, self._hello):
            if future is not None and not future.done():
                future.set_exception(exc)

    # ---- MIoT -------------------------------------------------------------------------

    async def info(self) -> dict[str, Any]:
        result = await self.send("miIO.info")
        if not isinstance(result, dict):
            raise ProtocolError(f"{self.host}: miIO.info returned {result!r}")
        return result

    async def get_properties(self, props: list[tuple[int, int]]) -> list[dict[str, Any]]:
        """Read properties, at most 15 per request; one dict per property, with its code."""
        did = str(self.device_id)
        results: list[dict[str, Any]] = []
        for start in range(0, len(props), 15):
            batch = [{"did": did, "siid": s, "piid": p} for s, p in props[start : start + 15]]
            reply = await self.send("get_properties", batch)
            if not isinstance(reply, list):
                raise ProtocolError(f"{self.host}: get_properties returned {reply!r}")
            results.extend(item for item in reply if isinstance(item, dict))
        return results

    async def set_properties(self, props: list[tuple[int, int, Any]]) -> list[dict[str, Any]]:
        did = str(self.device_id)
        results: list[dict[str, Any]] = []
        for start in range(0, len(props), 15):
            batch = [
                {"did": did, "siid": s, "piid": p, "value": v}
                for s, p, v in props[start : start + 15]
            ]
            reply = await self.send("set_properties", batch)
            if not isinstance(reply, list):
                raise ProtocolError(f"{self.host}: set_properties returned {reply!r}")
            results.extend(item for item in reply if isinstance(item, dict))
        return results

    async def action(self, siid: int, aiid: int, args: list[Any]) -> dict[str, Any]:
        reply = await self.send(
            "action", {"did": str(self.device_id), "siid": siid, "aiid": aiid, "in": args}
        )
        if not isinstance(reply, dict):
            raise ProtocolError(f"{self.host}: action returned {reply!r}")
        return reply
