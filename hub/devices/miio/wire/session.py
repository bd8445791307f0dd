"""One miIO device on the shared transport: handshake, stamps, message ids, retries, deadline.

A session learns the device id and clock from the hello and stamps each request with that
clock advanced by local elapsed time. ONE request is in flight per device (a FIFO
``asyncio.Lock``); ids rise below 10000 and skip 100 on each retry (firmware ignores an id it
saw lately). A reply to any attempt of the call in flight answers it: a slow device's answer
to the first attempt is as good as one to the retry. A timeout is followed by a fresh hello;
a clock that went backwards is a reboot.

Every call ends within ``policy.deadline`` whatever the device does. Then: no answer to the
hello either is :class:`DeviceTimeout` (offline); hello answered but the request not is a
DeviceTimeout too ("did not answer within 5 s": slow, or losing packets), and
:class:`DeviceAuthError` only when the device has stayed silent to ``policy.auth_silence``
requests in a row while answering hellos and nothing it sent verified with our token (real
firmware silently drops what our token does not verify; a reply failing our checksum says
the same at once). An error reply is a :class:`DeviceError` with the device's code
(-9999 / -30001 are retried first).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from hub.devices.miio.wire import codec
from hub.devices.miio.wire.inbox import PushInbox
from hub.devices.miio.wire.replies import RETRY_CODES, reply_error, reply_result, shown
from hub.errors import DeviceAuthError, DeviceError, DeviceTimeout, ProtocolError

if TYPE_CHECKING:
    from hub.devices.miio.wire.transport import RetryPolicy, TransportStats

_LOGGER = logging.getLogger(__name__)

ID_LIMIT = 10000
RETRY_ID_SKIP = 100
REBOOT_SLACK = 1
"""Seconds a stamp may lag behind (devices truncate their clock; replies can reorder)."""

Address = tuple[str, int]
T = TypeVar("T")
RequestHandler = Callable[["MiioSession", dict[str, Any]], None]
RebootListener = Callable[["MiioSession"], None]


class MiioSession:
    """Talk to one device; get one from ``MiioTransport.session(host, token)``."""

    def __init__(
        self,
        host: str,
        port: int,
        token: str,
        send: Callable[[bytes, Address], None],
        policy: RetryPolicy,
        stats: TransportStats,
        slots: asyncio.Semaphore,
    ) -> None:
        codec.check_token(token)
        self.host = host
        self.port = port
        self.address: Address = (host, port)
        self.token = token
        self.policy = policy
        self.device_id = 0
        self.reboots = 0
        self.on_request: RequestHandler | None = None  # pushes, acked and de-duplicated
        self.inbox = PushInbox(self)
        self.stats = stats
        self._send = send
        self._slots = slots
        self._lock = asyncio.Lock()
        self._handshaken = False
        self._replaced = ""
        self._next_id = random.randrange(1, ID_LIMIT - 1000)  # a restarted hub reuses no ids
        self._stamp_base = 0
        self._stamp_at = 0.0
        self._stamp_seen = -1  # the highest device stamp received
        self._stamp_floor = -1  # the highest received before our packet in flight was sent
        self._pending_ids: set[int] = set()
        """Ids of every attempt of the call in flight: a reply to any of them answers it."""
        self._pending: asyncio.Future[dict[str, Any]] | None = None
        self.silent_requests = 0
        """Requests in a row that got no reply, reset by anything that verifies with our token."""
        self._hello: asyncio.Future[codec.Message] | None = None
        self._bad_reply: ProtocolError | None = None
        self._reboot_listeners: list[RebootListener] = []

    def __repr__(self) -> str:  # never the token
        return f"MiioSession({self.host}:{self.port}, did={self.device_id})"

    @property
    def stamp(self) -> int:
        """The device's clock now, as far as we know it."""
        return self._stamp_base + int(time.monotonic() - self._stamp_at)

    def add_reboot_listener(self, listener: RebootListener) -> Callable[[], None]:
        """Call ``listener(session)`` when the device's clock restarts; returns a remover."""
        listeners = self._reboot_listeners
        listeners.append(listener)
        return lambda: listeners.remove(listener) if listener in listeners else None

    def rekey(self, token: str) -> None:
        """Use another token from now on (the device was re-paired)."""
        codec.check_token(token)
        self.token = token

    @property
    def reboot_listeners(self) -> int:
        """How many reboot listeners are registered (a connection adds one, once)."""
        return len(self._reboot_listeners)

    # ---- requests ---------------------------------------------------------------------

    async def send(self, method: str, params: Any = None) -> Any:
        """Send one request (after any already queued for this device); return its result.

        Ends within ``policy.deadline`` seconds, queueing included, whatever the device does."""
        call = _Call()
        try:
            async with asyncio.timeout(self.policy.deadline):
                async with self._lock:
                    return await self._send_locked(call, method, [] if params is None else params)
        except TimeoutError:
            raise self._verdict(call, method) from None

    async def info(self) -> dict[str, Any]:
        """``miIO.info``: model, firmware version, MAC, Wi-Fi and network details."""
        result = await self.send("miIO.info")
        if not isinstance(result, dict):
            raise ProtocolError(f"{self.host}: miIO.info returned {shown(result)}")
        return result

    async def handshake(self) -> codec.Message:
        """Say hello now (with retries); DeviceTimeout when nothing answers."""
        async with self._lock:
            return await self._handshake_locked()

    async def ensure_handshake(self) -> None:
        """Say hello unless we already know the device (raises DeviceTimeout if offline)."""
        if not self._handshaken:
            async with self._lock:
                if not self._handshaken:
                    await self._handshake_locked()

    async def _handshake_locked(self) -> codec.Message:
        for attempt in range(self.policy.retries + 1):
            if attempt:
                await asyncio.sleep(self.policy.pause(attempt, busy=False))
            hello = await self._say_hello(self.policy.timeout)
            if hello is not None:
                return hello
        raise DeviceTimeout(f"{self.host} does not answer the miIO hello: offline?")

    async def _send_locked(self, call: _Call, method: str, params: Any) -> Any:
        if not self._handshaken:
            await self._handshake_locked()
        call.alive = True
        try:
            return await self._attempts(call, method, params)
        finally:
            self._pending, self._pending_ids = None, set()

    async def _attempts(self, call: _Call, method: str, params: Any) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        error: DeviceError | None = None
        for attempt in range(self.policy.retries + 1):
            if attempt:
                self.stats.retries += 1
                await asyncio.sleep(self.policy.pause(attempt, busy=error is not None))
            msg_id = self._new_id(RETRY_ID_SKIP if attempt else 1)
            hello = attempt > 0 and error is None  # after a timeout: is it there, did it reboot?
            reply = await self._exchange(call, future, msg_id, (method, params), attempt, hello)
            if reply is None:
                if self._bad_reply is not None:  # it answers, but not in words we can read
                    raise self._bad_reply
                self.silent_requests += 1
                error = None
                continue
            error = reply_error(self.host, method, reply)
            if error is None:
                return reply_result(reply)
            if error.code not in RETRY_CODES:
                raise error
            future = loop.create_future()  # the busy reply answered the attempts so far
        if error is not None:
            raise error
        raise self._verdict(call, method)

    def _verdict(self, call: _Call, method: str) -> DeviceError:
        """Why a call got no answer: offline, slow, or (consistently silent) a wrong token."""
        if not call.alive:
            return DeviceTimeout(
                f"{self.host} stopped answering (no reply to {method} or the hello): offline?"
            )
        if self.silent_requests >= self.policy.auth_silence or self._replaced:
            # (another device id answers the hello there: our token is the old device's)
            return DeviceAuthError(
                f"{self.host} answers the hello but ignored the last {self.silent_requests} "
                f"requests: the token is probably wrong (was the device re-paired?){self._replaced}"
            )
        return DeviceTimeout(
            f"{self.host} did not answer {method} within {self.policy.deadline:g} s "
            "(it answers the hello: slow, or losing packets)"
        )

    def _new_id(self, skip: int) -> int:
        self._next_id = (self._next_id + skip) % ID_LIMIT or 1
        return self._next_id

    async def _exchange(
        self,
        call: _Call,
        future: asyncio.Future[dict[str, Any]],
        msg_id: int,
        request: tuple[str, Any],
        attempt: int,
        hello: bool,
    ) -> dict[str, Any] | None:
        """One attempt: the reply (to this attempt or an earlier one of the call) or None.

        A hello goes out just before the request, not a round trip ahead: under loss an attempt
        needs one exchange to get through, not two. No hello answer within ``timeout``: silent,
        the attempt ends (and the call is not known alive); an answer (and no reboot, which
        voids our stamp): the request gets the attempt's longer wait."""
        loop = asyncio.get_running_loop()
        payload = {"id": msg_id, "method": request[0], "params": request[1]}
        greeting: asyncio.Future[codec.Message] | None = loop.create_future() if hello else None
        async with self._slots:
            self._stamp_floor, self._bad_reply, reboots = self._stamp_seen, None, self.reboots
            if greeting is not None:
                self._hello = greeting
                self.stats.hellos += 1
                self._send(codec.HELLO, self.address)
            self._pending_ids.add(msg_id)
            self._pending = future
            self._send(codec.build(self.token, self.device_id, self.stamp, payload), self.address)
            full = self.policy.attempt_timeout(attempt)
            first = self.policy.timeout if hello else full
            try:
                reply = await _wait(future, first)
                if reply is None and _answered(greeting) and self.reboots == reboots:
                    reply = await _wait(future, full - self.policy.timeout)
            finally:
                self._hello = None
        if greeting is not None:
            call.alive = _answered(greeting)
            if call.alive:
                self._greeted(greeting.result())
        return reply

    async def _say_hello(self, wait: float) -> codec.Message | None:
        future: asyncio.Future[codec.Message] = asyncio.get_running_loop().create_future()
        async with self._slots:
            self._stamp_floor, self._hello = self._stamp_seen, future
            self.stats.hellos += 1
            self._send(codec.HELLO, self.address)
            try:
                hello = await _wait(future, wait)
            finally:
                self._hello = None
        if hello is not None:
            self._greeted(hello)
        return hello

    def _greeted(self, hello: codec.Message) -> None:
        if self._handshaken and hello.device_id != self.device_id:
            _LOGGER.warning("%s: now device %d, was %d", self.host, hello.device_id, self.device_id)
            self._replaced = f" (another device now answers there: id {hello.device_id})"
        self.device_id = hello.device_id
        self._handshaken = True

    # ---- receiving (called by the transport's datagram handler) ------------------------

    def received(self, data: bytes) -> None:
        hello = codec.parse_hello(data)
        if hello is not None:
            if self._hello is not None and not self._hello.done():
                self._clock(hello.stamp, causal=True)
                self._hello.set_result(hello)
            return
        try:
            message = codec.parse(self.token, data)
        except codec.ChecksumMismatch:
            self.stats.auth_failures += 1
            if self._pending is not None and not self._pending.done():
                self._pending.set_exception(
                    DeviceAuthError(f"{self.host} replied, but not with our token: it is wrong")
                )
            return
        except ProtocolError as exc:
            self.stats.malformed += 1
            self._bad_reply = ProtocolError(f"{self.host} sent an unreadable reply: {exc}")
            return
        self.silent_requests = 0  # it verified with our token: the token is right
        payload = message.payload
        if payload is None:
            return
        if "method" in payload:
            self._clock(message.stamp, causal=False)
            self.inbox.received(message.device_id, payload)
            return
        future = self._pending
        if future is None or future.done() or payload.get("id") not in self._pending_ids:
            self.stats.late_replies += 1
            return
        self._clock(message.stamp, causal=True)
        future.set_result(payload)

    def _clock(self, stamp: int, causal: bool) -> None:
        """Track the device's clock; a causal stamp that went backwards means a reboot."""
        if causal:
            if stamp + REBOOT_SLACK < self._stamp_floor:
                self._rebooted(stamp)
            self._stamp_base, self._stamp_at = stamp, time.monotonic()
        self._stamp_seen = max(self._stamp_seen, stamp)

    def _rebooted(self, stamp: int) -> None:
        _LOGGER.info("%s rebooted (clock %d -> %d)", self.host, self._stamp_seen, stamp)
        self.reboots += 1
        self.stats.reboots += 1
        self._stamp_seen = self._stamp_floor = stamp
        self.inbox.clear()  # its message counter restarted too
        for listener in list(self._reboot_listeners):
            try:
                listener(self)
            except Exception:
                _LOGGER.exception("%s: a reboot listener failed", self.host)

    def reply(self, msg_id: int, result: Any, device_id: int | None = None) -> None:
        """Answer a request the device sent us, with its id and our view of its clock."""
        did = self.device_id if device_id is None else device_id
        packet = codec.build(self.token, did, self.stamp, {"id": msg_id, "result": result})
        self._send(packet, self.address)

    def close(self, exc: DeviceError) -> None:
        """Fail whatever is in flight (the transport is closing)."""
        for future in (self._pending, self._hello):
            if future is not None and not future.done():
                future.set_exception(exc)


class _Call:
    """One ``send``: whether the device answered a hello during it (it is there)."""

    __slots__ = ("alive",)

    def __init__(self) -> None:
        self.alive = False


async def _wait(future: asyncio.Future[T], wait: float) -> T | None:
    """The future's result, or None after ``wait`` seconds (the future stays pending)."""
    if wait <= 0:
        return future.result() if future.done() else None
    try:
        async with asyncio.timeout(wait):
            return await asyncio.shield(future)
    except TimeoutError:
        return None


def _answered(future: asyncio.Future[Any] | None) -> bool:
    return future is not None and future.done() and not future.cancelled()
