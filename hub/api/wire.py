"""Bus events as WebSocket messages, each encoded once however many clients receive it."""

from __future__ import annotations

from typing import Any

from hub.api.jsonio import dumps
from hub.bus import (
    AutomationRan,
    DeviceAdded,
    DeviceEvent,
    DeviceOffline,
    DeviceOnline,
    DeviceRemoved,
    Event,
    Notification,
    OfflineReasonChanged,
    StateChanged,
)

KINDS: dict[type[Event], str] = {
    StateChanged: "state",
    DeviceOnline: "availability",
    DeviceOffline: "availability",
    OfflineReasonChanged: "availability",
    DeviceEvent: "event",
    DeviceAdded: "device",
    DeviceRemoved: "device",
    AutomationRan: "automation",
    Notification: "notification",
}
KIND_NAMES = frozenset(KINDS.values())


def encode(event: Event) -> dict[str, Any]:
    if isinstance(event, StateChanged):
        return {"type": "state", "device": event.device_id, "feature": event.feature,
                "value": event.value, "old": event.old_value, "at": event.at}  # fmt: skip
    if isinstance(event, DeviceOnline):
        return {"type": "availability", "device": event.device_id, "availability": "online",
                "reason": "", "problem": None, "at": event.at}  # fmt: skip
    if isinstance(event, DeviceOffline | OfflineReasonChanged):
        return {"type": "availability", "device": event.device_id, "availability": "offline",
                "reason": event.reason, "problem": event.problem or None,
                "at": event.at}  # fmt: skip
    if isinstance(event, DeviceEvent):
        return {"type": "event", "device": event.device_id, "event": event.event,
                "data": event.data, "at": event.at}  # fmt: skip
    if isinstance(event, DeviceAdded | DeviceRemoved):
        change = "added" if isinstance(event, DeviceAdded) else "removed"
        return {"type": "device", "device": event.device_id, "change": change}
    if isinstance(event, AutomationRan):
        return {"type": "automation", "automation": event.automation_id,
                "trace": event.trace_id, "result": event.result}  # fmt: skip
    if isinstance(event, Notification):
        return {"type": "notification", "title": event.title, "message": event.message,
                "data": event.data}  # fmt: skip
    return {"type": "unknown"}


def device_of(event: Event) -> str | None:
    device_id = getattr(event, "device_id", None)
    return device_id if isinstance(device_id, str) else None


class EncodedEvents:
    """The text of recent events, by identity: 50 phones cost one encoding per event.

    An entry holds its event, so the ``id()`` it is keyed by cannot be reused while cached.
    """

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._texts: dict[int, tuple[Event, str]] = {}

    def text(self, event: Event) -> str:
        key = id(event)
        cached = self._texts.get(key)
        if cached is not None and cached[0] is event:
            return cached[1]
        text = dumps(encode(event)).decode()
        texts = self._texts
        if len(texts) >= self.size:
            del texts[next(iter(texts))]
        texts[key] = (event, text)
        return text
