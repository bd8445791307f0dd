"""EventBus: typed events, the one spine every part of the hub talks through.

Handlers are plain callables run synchronously in ``publish``: an event costs a dict look-up
and one call per subscriber, no task and no queue. A subscriber with slow or async work
(a phone's WebSocket, the history writer) takes a bounded :class:`EventStream` instead, which
drops events for that subscriber alone when it falls behind and counts what it dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from types import TracebackType
from typing import Any, TypeVar

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every bus event."""


class Origin(StrEnum):
    """Who caused a change or sent a command: history and habit mining tell them apart."""

    DEVICE = "device"
    """The device itself: a button, its own panel, a sensor reading."""
    API = "api"
    """A phone or another API client."""
    AUTOMATION = "automation"
    SCENE = "scene"
    MQTT = "mqtt"
    """A command on an exported device's MQTT topics (Home Assistant, Node-RED)."""
    UNKNOWN = "unknown"
    """A command whose caller did not say who it was."""


@dataclass(frozen=True, slots=True)
class StateChanged(Event):
    device_id: str
    feature: str
    value: Any
    old_value: Any = None
    at: float = 0.0
    origin: Origin = Origin.DEVICE
    """The origin of the command this change confirms; ``DEVICE`` when no command asked."""


@dataclass(frozen=True, slots=True)
class CommandSent(Event):
    """A command went to a device (a feature set, or an action run), and how it ended."""

    device_id: str
    feature: str
    value: Any
    origin: Origin = Origin.UNKNOWN
    status: str = ""
    """acknowledged, confirmed or failed (actions: acknowledged or failed)."""
    at: float = 0.0
    error: str = ""
    """Why it failed ("offline since 14:02:05 ...; nothing was sent"); "" when it did not."""


@dataclass(frozen=True, slots=True)
class DeviceOnline(Event):
    device_id: str
    at: float = 0.0


@dataclass(frozen=True, slots=True)
class DeviceOffline(Event):
    device_id: str
    reason: str = ""
    at: float = 0.0
    problem: str = ""
    """no_answer or token_rejected (hub.devices.model.AvailabilityProblem)."""


@dataclass(frozen=True, slots=True)
class OfflineReasonChanged(Event):
    """A device offline since ``at`` is better understood (it answers, but rejects the
    token): not a new outage, so no automation on "went offline" runs again."""

    device_id: str
    reason: str
    problem: str
    at: float = 0.0


@dataclass(frozen=True, slots=True)
class DeviceAdded(Event):
    device_id: str


@dataclass(frozen=True, slots=True)
class DeviceRemoved(Event):
    device_id: str


@dataclass(frozen=True, slots=True)
class DeviceRenamed(Event):
    """A device got a new name or moved to another room."""

    device_id: str


@dataclass(frozen=True, slots=True)
class DeviceEvent(Event):
    """Something a device reported that is not a state: a button press, motion, a fault."""

    device_id: str
    event: str
    data: dict[str, Any] = field(default_factory=dict)
    at: float = 0.0


@dataclass(frozen=True, slots=True)
class MqttMessage(Event):
    """A message on an MQTT topic the hub was asked to watch (automation triggers)."""

    topic: str
    payload: bytes
    retain: bool = False


@dataclass(frozen=True, slots=True)
class Notification(Event):
    """A message for the people in the home; phones receive it over the WebSocket."""

    title: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)


E = TypeVar("E", bound=Event)
Handler = Callable[[Any], None]


class EventBus:
    """Routes each published event to the handlers subscribed to its exact type."""

    __slots__ = ("_handlers", "published")

    def __init__(self) -> None:
        self._handlers: dict[type[Event], list[Handler]] = {}
        self.published = 0

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        """Call ``handler`` for every event of ``event_type``; returns the unsubscribe call."""
        handlers = self._handlers.setdefault(event_type, [])
        handlers.append(handler)

        def unsubscribe() -> None:
            if handler in handlers:
                handlers.remove(handler)

        return unsubscribe

    def publish(self, event: Event) -> None:
        self.published += 1
        handlers = self._handlers.get(type(event))
        if not handlers:
            return
        for handler in tuple(handlers):
            try:
                handler(event)
            except Exception:
                _LOGGER.exception("event handler %r failed on %r", handler, event)

    def stream(self, event_types: Iterable[type[Event]], maxsize: int = 1000) -> EventStream:
        """A bounded async iterator over events of the given types."""
        return EventStream(self, tuple(event_types), maxsize)


class EventStream:
    """``async with bus.stream([StateChanged]) as events: async for event in events: ...``

    The queue is bounded: when the consumer falls behind, new events are dropped for this
    stream only and counted in ``dropped``; the publisher never waits.
    """

    def __init__(self, bus: EventBus, event_types: tuple[type[Event], ...], maxsize: int) -> None:
        self._bus = bus
        self._types = event_types
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self._unsubscribes: list[Callable[[], None]] = []
        self.dropped = 0

    def _offer(self, event: Event) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1

    async def __aenter__(self) -> EventStream:
        self._unsubscribes = [self._bus.subscribe(t, self._offer) for t in self._types]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for unsubscribe in self._unsubscribes:
            unsubscribe()
        self._unsubscribes = []

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        return await self._queue.get()

    def get_nowait(self) -> Event | None:
        try:
            return self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return None


@dataclass(frozen=True, slots=True)
class AutomationRan(Event):
    """An automation was triggered: it ran, or its conditions stopped it, or it was skipped."""

    automation_id: str
    trace_id: str
    result: str
