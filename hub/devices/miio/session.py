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
from hub.devices.miio.miot import MiotCalls
from hub.devices.miio.push import PushInbox
from hub.errors import DeviceAuthError, DeviceError, DeviceTimeout, ProtocolError

if TYPE_CHECKING:
    from hub.devices.miio.transport import RetryPolicy, TransportStats

_LOGGER = logging.getLogger(__name__)

RETRY_CODES = frozenset({-9999, -30001})
"""'User ack timeout' and 'busy': the device asks us to try again."""
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
        self.on_request: RequestHandler | None = None
        """Fresh requests from the device (pushes), after they are acked and de-duplicated."""
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
        self._reboot_listeners.append(listener)

        def remove() -> None:
            if listener in self._reboot_listeners:
                self._reboot_listeners.remove(listener)

        return remove

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
        """Say hello now (with retries); raises DeviceTimeout when nothing answers."""
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
        policy = self.policy
        need_hello = not self._handshaken
        hello_ok: bool | None = None  # the last hello of this call: None, none since a timeout
        requests_sent = 0
        error: DeviceError | None = None
        for attempt in range(policy.retries + 1):
            if attempt:
                self.stats.retries += 1
                await asyncio.sleep(policy.pause(attempt, busy=error is not None))
            if need_hello:  # hellos are answered by the Wi-Fi module at once: no growth
                hello_ok = await self._say_hello(policy.timeout) is not None
                if not hello_ok:
                    continue
                need_hello = False
            msg_id = self._new_id(RETRY_ID_SKIP if attempt else 1)
            requests_sent += 1
            reply = await self._exchange(msg_id, method, params, policy.attempt_timeout(attempt))
            if reply is None:
                if self._bad_reply is not None:  # it answers, but not in words we can read
                    raise self._bad_reply
                need_hello, hello_ok, error = True, None, None
                continue
            error = _error(self.host, method, reply)
            if error is None:
                return reply.get("result")
            if error.code not in RETRY_CODES:
                raise error
        if error is not None:
            raise error
        if not requests_sent:
            raise DeviceTimeout(f"{self.host} does not answer the miIO hello: offline?")
        if hello_ok is None:  # the last request timed out: is the device still there?
            hello_ok = await self._say_hello(policy.timeout) is not None
        if hello_ok:
            raise DeviceAuthError(
                f"{self.host} answers the hello but ignored {requests_sent} requests: "
                f"the token is probably wrong (was the device re-paired?){self._replaced}"
            )
        raise DeviceTimeout(f"{self.host} stopped answering (no reply to {method} or hello)")

    def _new_id(self, skip: int) -> int:
        self._next_id = (self._next_id + skip) % ID_LIMIT or 1
        return self._next_id

    async def _exchange(
        self, msg_id: int, method: str, params: Any, wait: float
    ) -> dict[str, Any] | None:
        payload = {"id": msg_id, "method": method, "params": params}
        packet = codec.build(self.token, self.device_id, self.stamp, payload)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending_id, self._pending = msg_id, future
        self._bad_reply = None
        try:
            return await self._round_trip(packet, future, wait)
        finally:
            self._pending = None

    async def _say_hello(self, wait: float) -> codec.Message | None:
        future: asyncio.Future[codec.Message] = asyncio.get_running_loop().create_future()
        self._hello = future
        self.stats.hellos += 1
        try:
            hello = await self._round_trip(codec.HELLO, future, wait)
        finally:
            self._hello = None
        if hello is None:
            return None
        if self._handshaken and hello.device_id != self.device_id:
            _LOGGER.warning("%s: now device %d, was %d", self.host, hello.device_id, self.device_id)
            self._replaced = f" (another device now answers there: id {hello.device_id})"
        self.device_id = hello.device_id
        self._handshaken = True
        return hello

    async def _round_trip(self, packet: bytes, future: asyncio.Future[T], wait: float) -> T | None:
        """Send and wait, holding one of the transport's in-flight slots (bounds bursts)."""
        async with self._slots:
            self._stamp_floor = self._stamp_seen
            self._send(packet, self.address)
            try:
                async with asyncio.timeout(wait):
                    return await future
            except TimeoutError:
                return None

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


def _error(host: str, method: str, reply: dict[str, Any]) -> DeviceError | None:
    error = reply.get("error")
    if error is None:
        return None
    details = error if isinstance(error, dict) else {"message": error}
    code = details.get("code")
    code = code if isinstance(code, int) else None
    return DeviceError(f"{host}: {method} failed: {details.get('message')} ({code})", code)
