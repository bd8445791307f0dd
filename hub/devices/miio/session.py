"""One miIO device on the shared transport: handshake, stamps, message ids, retries.

A session learns the device id and clock from the hello and stamps each request with that
clock advanced by local elapsed time. ONE request is in flight per device (a FIFO
``asyncio.Lock``); ids rise below 10000 and skip 100 on each retry (firmware ignores an id it
saw lately). A timeout is followed by a fresh hello; a clock that went backwards is a reboot.
After all retries: no answer to the hello either is :class:`DeviceTimeout` (offline); hello
answered but requests not is :class:`DeviceAuthError` (real firmware silently drops what our
token does not verify; a reply failing our checksum says the same); an error reply is a
:class:`DeviceError` with the device's code (-9999 / -30001 are retried first).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from hub.devices.miio import codec
from hub.devices.miio.miot import RETRY_CODES, MiotCalls, reply_error, reply_result
from hub.devices.miio.push import PushInbox
from hub.errors import DeviceAuthError, DeviceError, DeviceTimeout, ProtocolError

if TYPE_CHECKING:
    from hub.devices.miio.transport import RetryPolicy, TransportStats

_LOGGER = logging.getLogger(__name__)

ID_LIMIT = 10000
RETRY_ID_SKIP = 100
REBOOT_SLACK = 1
"""Seconds a stamp may lag behind (devices truncate their clock; replies can reorder)."""

Address = tuple[str, int]
T = TypeVar("T")
RequestHandler = Callable[["MiioSession", dict[str, Any]], None]
RebootListener = Callable[["MiioSession"], None]


class MiioSession(MiotCalls):
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
        self._pending_id = -1
        self._pending: asyncio.Future[dict[str, Any]] | None = None
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

    # ---- requests ---------------------------------------------------------------------

    async def send(self, method: str, params: Any = None) -> Any:
        """Send one request (after any already queued for this device); return ``result``."""
        async with self._lock:
            return await self._send_locked(method, [] if params is None else params)

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

    async def _send_locked(self, method: str, params: Any) -> Any:
        if not self._handshaken:
            await self._handshake_locked()
        alive = False  # a hello was answered during this call
        error: DeviceError | None = None
        for attempt in range(self.policy.retries + 1):
            if attempt:
                self.stats.retries += 1
                await asyncio.sleep(self.policy.pause(attempt, busy=error is not None))
            msg_id = self._new_id(RETRY_ID_SKIP if attempt else 1)
            hello = attempt > 0 and error is None  # after a timeout: is it there, did it reboot?
            reply, answered = await self._exchange(msg_id, method, params, attempt, hello)
            alive = alive or answered
            if reply is None:
                if self._bad_reply is not None:  # it answers, but not in words we can read
                    raise self._bad_reply
                error = None
                continue
            error = reply_error(self.host, method, reply)
            if error is None:
                return reply_result(reply)
            if error.code not in RETRY_CODES:
                raise error
        if error is not None:
            raise error
        if alive:
            raise DeviceAuthError(
                f"{self.host} answers the hello but ignored {self.policy.retries + 1} requests: "
                f"the token is probably wrong (was the device re-paired?){self._replaced}"
            )
        raise DeviceTimeout(f"{self.host} stopped answering (no reply to {method} or hello)")

    def _new_id(self, skip: int) -> int:
        self._next_id = (self._next_id + skip) % ID_LIMIT or 1
        return self._next_id

    async def _exchange(
        self, msg_id: int, method: str, params: Any, attempt: int, hello: bool
    ) -> tuple[dict[str, Any] | None, bool]:
        """One attempt: (the reply or None, whether a hello sent along was answered).

        A hello goes out just before the request, not a round trip ahead: under loss an attempt
        needs one exchange to get through, not two. No hello answer within ``timeout``: silent,
        the attempt ends; an answer (and no reboot, which voids our stamp): the request gets
        the attempt's longer wait, as a busy device answers slowly."""
        loop = asyncio.get_running_loop()
        payload = {"id": msg_id, "method": method, "params": params}
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        greeting: asyncio.Future[codec.Message] | None = loop.create_future() if hello else None
        async with self._slots:
            self._stamp_floor, self._bad_reply, reboots = self._stamp_seen, None, self.reboots
            if greeting is not None:
                self._hello = greeting
                self.stats.hellos += 1
                self._send(codec.HELLO, self.address)
            self._pending_id, self._pending = msg_id, future
            self._send(codec.build(self.token, self.device_id, self.stamp, payload), self.address)
            full = self.policy.attempt_timeout(attempt)
            first = self.policy.timeout if hello else full
            try:
                reply = await _wait(asyncio.shield(future) if hello else future, first)
                if reply is None and _answered(greeting) and self.reboots == reboots:
                    reply = await _wait(future, full - self.policy.timeout)
            finally:
                self._pending = self._hello = None
        if greeting is None or not _answered(greeting):
            return reply, False
        self._greeted(greeting.result())
        return reply, True

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
        payload = message.payload
        if payload is None:
            return
        if "method" in payload:
            self._clock(message.stamp, causal=False)
            self.inbox.received(message.device_id, payload)
            return
        future = self._pending
        if future is None or future.done() or payload.get("id") != self._pending_id:
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


async def _wait(future: asyncio.Future[T], wait: float) -> T | None:
    """The future's result, or None after ``wait`` seconds (which cancels the future)."""
    try:
        async with asyncio.timeout(wait):
            return await future
    except TimeoutError:
        return None


def _answered(future: asyncio.Future[Any] | None) -> bool:
    return future is not None and future.done() and not future.cancelled()
