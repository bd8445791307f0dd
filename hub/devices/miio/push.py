"""miIO push: ``miIO.sub``, ``properties_changed`` / ``event_occured``, keepalive, resubscribe.

    async with Subscription(session, on_state=mark_availability) as pushes:
        async for push in pushes:          # PropertyChanged | EventOccurred
            ...

A subscribed device sends miIO *requests* to the transport's socket, resending each until it
is acknowledged. :class:`PushInbox` (one per session) acks every copy and delivers each id
once. :class:`Subscription` renews ``miIO.sub`` before it expires; the renewal doubles as a
keepalive: when it fails after the session's retries the device is reported SILENT (so the
layer above can mark it offline) and retried with backoff until it answers again. A reboot
drops the device's subscriptions, so a detected reboot triggers an immediate resubscribe.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from hub.errors import DeviceError

if TYPE_CHECKING:
    from hub.devices.miio.session import MiioSession

_LOGGER = logging.getLogger(__name__)

PUSH_MEMORY = 30.0
"""Seconds a device request id is remembered (firmware resends for ~5 s)."""


class PushInbox:
    """Requests from one device: acknowledged every time, handed on once."""

    __slots__ = ("_seen", "_session")

    def __init__(self, session: MiioSession) -> None:
        self._session = session
        self._seen: dict[int, float] = {}

    def clear(self) -> None:
        """Forget seen ids (after a reboot the device counts from 1 again)."""
        self._seen.clear()

    def received(self, device_id: int, payload: dict[str, Any]) -> None:
        session, stats = self._session, self._session.stats
        msg_id = payload.get("id")
        if not isinstance(msg_id, int):
            stats.malformed += 1
            return
        session.reply(msg_id, ["ok"], device_id)  # every copy: a resend means our ack was lost
        now = time.monotonic()
        if len(self._seen) > 256:
            self._seen = {i: t for i, t in self._seen.items() if now - t < PUSH_MEMORY}
        seen = self._seen.get(msg_id)
        self._seen[msg_id] = now
        if seen is not None and now - seen < PUSH_MEMORY:
            stats.duplicate_pushes += 1
            return
        stats.pushes += 1
        if session.on_request is not None:
            try:
                session.on_request(session, payload)
            except Exception:
                _LOGGER.exception("%s: the push handler failed", session.host)


@dataclass(frozen=True, slots=True)
class PropertyChanged:
    siid: int = 0
    piid: int = 0
    value: Any = None
    did: str = ""


@dataclass(frozen=True, slots=True)
class EventOccurred:
    siid: int = 0
    eiid: int = 0
    arguments: tuple[dict[str, Any], ...] = ()
    """``{"piid": n, "value": v}`` per event argument."""
    did: str = ""


Push = PropertyChanged | EventOccurred


def decode_push(payload: dict[str, Any]) -> list[Push]:
    """A device request -> the pushes in it; other methods and malformed items give none."""
    method, params = payload.get("method"), payload.get("params")
    if method == "properties_changed" and isinstance(params, list):
        return [
            PropertyChanged(p["siid"], p["piid"], p.get("value"), str(p.get("did", "")))
            for p in params
            if isinstance(p, dict) and _ints(p, "siid", "piid")
        ]
    if method == "event_occured" and isinstance(params, dict) and _ints(params, "siid", "eiid"):
        args = params.get("arguments")
        arguments = tuple(a for a in args if isinstance(a, dict)) if isinstance(args, list) else ()
        return [EventOccurred(params["siid"], params["eiid"], arguments, str(params.get("did")))]
    return []


def _ints(item: dict[str, Any], *keys: str) -> bool:
    return all(isinstance(item.get(k), int) for k in keys)


class SubscriptionState(enum.Enum):
    STARTING = "starting"
    ACTIVE = "active"
    SILENT = "silent"
    """The last renewal got no answer (or a wrong-token one): treat the device as offline."""
    CLOSED = "closed"


StateListener = Callable[[SubscriptionState, DeviceError | None], None]
_END = object()


class Subscription:
    """Keep one device pushing to us; an async context manager and an async iterator."""

    def __init__(
        self,
        session: MiioSession,
        *,
        expire: int = 180,
        renew_every: float | None = None,
        retry_min: float = 2.0,
        on_push: Callable[[Push], None] | None = None,
        on_state: StateListener | None = None,
        queue_size: int = 1024,
    ) -> None:
        self.session = session
        self.expire = expire
        self.renew_every = expire / 3 if renew_every is None else renew_every
        self.retry_min = retry_min
        self.on_push = on_push
        self.on_state = on_state
        self.state = SubscriptionState.STARTING
        self.renewals = 0
        self.dropped = 0
        self._queue: asyncio.Queue[Push | object] = asyncio.Queue(queue_size)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._remove_listener: Callable[[], None] | None = None

    async def __aenter__(self) -> Subscription:
        """Subscribe; raises DeviceError (DeviceTimeout, DeviceAuthError...) on refusal."""
        if self.session.on_request is not None:
            raise RuntimeError(f"{self.session.host} already has a push handler")
        self.session.on_request = self._on_request
        self._remove_listener = self.session.add_reboot_listener(self._on_reboot)
        try:
            await self._subscribe()
        except BaseException:
            self._detach()
            raise
        self._set_state(SubscriptionState.ACTIVE, None)
        self._task = asyncio.create_task(self._keep(), name=f"miio-push-{self.session.host}")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self._detach()
        was_active = self.state is SubscriptionState.ACTIVE
        self._set_state(SubscriptionState.CLOSED, None)
        if was_active and exc_type is None:  # best effort: a silent device is not waited for
            with contextlib.suppress(DeviceError, TimeoutError):
                async with asyncio.timeout(self.session.policy.timeout):
                    await self.session.send("miIO.unsub")

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Push:
        item = await self._queue.get()
        if item is _END:
            self._queue.put_nowait(_END)  # stay ended for every reader
            raise StopAsyncIteration
        return cast(Push, item)

    def _detach(self) -> None:
        if self.session.on_request == self._on_request:
            self.session.on_request = None
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(_END)

    async def _subscribe(self) -> None:
        await self.session.send("miIO.sub", {"expire": self.expire})
        self.renewals += 1

    async def _keep(self) -> None:
        failures = 0
        while True:
            if failures:
                delay = min(self.retry_min * 2 ** (failures - 1), self.renew_every)
                delay *= 0.75 + random.random() / 2
            else:
                delay = self.renew_every
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self._subscribe()
            except DeviceError as exc:
                failures += 1
                self._set_state(SubscriptionState.SILENT, exc)
                continue
            failures = 0
            self._set_state(SubscriptionState.ACTIVE, None)

    def _on_reboot(self, session: MiioSession) -> None:
        _LOGGER.info("%s rebooted: subscribing again", session.host)
        self._wake.set()

    def _on_request(self, session: MiioSession, payload: dict[str, Any]) -> None:
        for push in decode_push(payload):
            if self.on_push is not None:
                self.on_push(push)
                continue
            if self._queue.full():
                self._queue.get_nowait()  # the oldest goes: a stalled reader must not grow us
                self.dropped += 1
            self._queue.put_nowait(push)

    def _set_state(self, state: SubscriptionState, error: DeviceError | None) -> None:
        if state is self.state:
            return
        self.state = state
        if state is SubscriptionState.SILENT:
            _LOGGER.info("%s is silent: %s", self.session.host, error)
        if self.on_state is not None:
            try:
                self.on_state(state, error)
            except Exception:
                _LOGGER.exception("%s: the subscription state listener failed", self.session.host)
