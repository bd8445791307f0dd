"""The trigger index: each bus event reaches only the automations that can match it.

Keys: (device, feature) for state, (device, event) for device events, device for
availability, the exact topic for MQTT (wildcard filters sit in a short list, matched per
message), webhook id. The cost of an event is a dict look-up plus the automations listening
on that key; removing an automation touches only its own keys.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hub.bus import DeviceEvent, DeviceOffline, DeviceOnline, MqttMessage, StateChanged
from hub.devices.references import reference_key
from hub.mqtt_topics import is_wildcard, topic_matches
from hub.scenes.model import (
    AvailabilityTrigger,
    EventTrigger,
    MqttTrigger,
    StartTrigger,
    StateTrigger,
    Trigger,
    WebhookTrigger,
)
from hub.scenes.template import lookup


@dataclass(frozen=True, slots=True)
class Listener:
    automation_id: str
    index: int
    trigger: Trigger


@dataclass(frozen=True, slots=True)
class WebhookCall:
    """A webhook / API call, shaped like a bus event for ``wait`` actions."""

    webhook_id: str
    data: dict[str, Any]


Table = dict[Any, list[Listener]]


class TriggerIndex:
    def __init__(self) -> None:
        self.state: dict[tuple[str, str], list[Listener]] = {}
        self.event: dict[tuple[str, str], list[Listener]] = {}
        self.availability: dict[str, list[Listener]] = {}
        self.topic: dict[str, list[Listener]] = {}
        self.webhook: dict[str, list[Listener]] = {}
        self.wildcards: list[tuple[tuple[str, ...], Listener]] = []
        self.start: list[Listener] = []
        self._keys: dict[str, list[tuple[Table, Any]]] = {}

    def add(self, automation_id: str, triggers: list[Trigger]) -> None:
        keys = self._keys.setdefault(automation_id, [])
        for index, trigger in enumerate(triggers):
            listener = Listener(automation_id, index, trigger)
            table: Table | None = None
            key: Any = None
            if isinstance(trigger, StateTrigger):
                table, key = self.state, (reference_key(trigger.device), trigger.feature)
            elif isinstance(trigger, EventTrigger):
                table, key = self.event, (reference_key(trigger.device), trigger.event)
            elif isinstance(trigger, AvailabilityTrigger):
                table, key = self.availability, reference_key(trigger.device)
            elif isinstance(trigger, WebhookTrigger):
                table, key = self.webhook, trigger.webhook_id
            elif isinstance(trigger, MqttTrigger):
                if is_wildcard(trigger.topic):
                    self.wildcards.append((tuple(trigger.topic.split("/")), listener))
                else:
                    table, key = self.topic, trigger.topic
            elif isinstance(trigger, StartTrigger):
                self.start.append(listener)
            if table is not None:
                table.setdefault(key, []).append(listener)
                keys.append((table, key))

    def remove(self, automation_id: str) -> None:
        for table, key in self._keys.pop(automation_id, ()):
            entries = table.get(key)
            if entries is None:
                continue
            kept = [e for e in entries if e.automation_id != automation_id]
            if kept:
                table[key] = kept
            else:
                del table[key]
        if any(e.automation_id == automation_id for _, e in self.wildcards):
            self.wildcards = [w for w in self.wildcards if w[1].automation_id != automation_id]
        if any(e.automation_id == automation_id for e in self.start):
            self.start = [e for e in self.start if e.automation_id != automation_id]

    def topics(self, topic: str) -> list[Listener]:
        """The MQTT listeners whose filter matches ``topic``."""
        found = self.topic.get(topic)
        if not self.wildcards:
            return found or []
        parts = topic.split("/")
        matched = [e for f, e in self.wildcards if topic_matches(f, parts)]
        return matched + found if found else matched

    def topic_filters(self) -> set[str]:
        filters = set(self.topic)
        filters.update("/".join(f) for f, _ in self.wildcards)
        return filters


def holds(trigger: StateTrigger, value: Any) -> bool:
    """Whether ``value`` is (still) in the state the trigger waits for (``from`` aside)."""
    if trigger.to is not None and not same(value, trigger.to):
        return False
    if trigger.above is not None or trigger.below is not None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if trigger.above is not None and not value > trigger.above:
            return False
        if trigger.below is not None and not value < trigger.below:
            return False
    return True


def state_matches(trigger: StateTrigger, value: Any, old: Any) -> bool:
    if trigger.from_ is not None and not same(old, trigger.from_):
        return False
    return holds(trigger, value)


def crossed(trigger: StateTrigger, value: Any, old: Any) -> bool:
    """A state trigger fires on the change INTO its condition, not on every change inside it."""
    if not state_matches(trigger, value, old):
        return False
    if trigger.to is None and trigger.from_ is None and old is not None:
        numeric = trigger.above is not None or trigger.below is not None
        return not (numeric and holds(trigger, old))
    return True


def same(value: Any, wanted: Any) -> bool:
    """Equal, without ``True == 1``: a switch's ``true`` is not a level's ``1``."""
    if isinstance(value, bool) or isinstance(wanted, bool):
        return value is wanted
    return bool(value == wanted)


def mqtt_data(trigger: MqttTrigger, topic: str, payload: bytes) -> dict[str, Any] | None:
    """The trigger data when the message matches, else None.

    ``payload`` is the text; ``payload_json`` the parsed JSON when the text is an object or
    a list (or ``value_path`` asks for it), else absent.
    """
    text = payload.decode("utf-8", errors="replace")
    wanted = trigger.payload
    parsed: Any = None
    if trigger.value_path is not None or text.startswith(("{", "[")):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
    if wanted is not None:
        if trigger.value_path is None:
            if not payload_equals(text, wanted):
                return None
        else:
            found, value = lookup(parsed, trigger.value_path)
            if not found or not value_equals(value, wanted):
                return None
    data: dict[str, Any] = {"platform": "mqtt", "topic": topic, "payload": text}
    if parsed is not None:
        data["payload_json"] = parsed
    return data


def payload_equals(text: str, wanted: Any) -> bool:
    if isinstance(wanted, str):
        return text == wanted
    return text == json.dumps(wanted)


def value_equals(value: Any, wanted: Any) -> bool:
    """A JSON value against the wanted scalar: ``1`` matches ``1`` and ``"1"``; ``true`` matches
    ``true`` and ``"true"``; a string matches the same string."""
    if isinstance(wanted, str):
        if isinstance(value, str):
            return value == wanted
        if isinstance(value, bool):
            return wanted == ("true" if value else "false")
        if isinstance(value, int | float):
            return str(value) == wanted  # JSON's spelling of a finite number
        return value is None and wanted == "null"
    return same(value, wanted)


def _own_key(device_id: str) -> tuple[str, ...]:
    return (reference_key(device_id),)


def match_event(
    trigger: Trigger, event: object, keys_of: Callable[[str], tuple[str, ...]] = _own_key
) -> dict[str, Any] | None:
    """The trigger data when ``event`` satisfies ``trigger`` (for a ``wait`` action), or None.

    A state trigger here waits for the state itself (``to`` / ``above`` / ``below``, and
    ``from`` when given), without ``for``. ``keys_of`` gives the reference keys naming a
    device (the registry's: id, room/name, name), so a trigger may name its device.
    """
    if isinstance(trigger, StateTrigger):
        if (
            isinstance(event, StateChanged)
            and reference_key(trigger.device) in keys_of(event.device_id)
            and event.feature == trigger.feature
            and state_matches(trigger, event.value, event.old_value)
        ):
            return {"platform": "state", "device": event.device_id, "feature": event.feature,
                    "value": event.value, "from": event.old_value}  # fmt: skip
    elif isinstance(trigger, EventTrigger):
        if (
            isinstance(event, DeviceEvent)
            and reference_key(trigger.device) in keys_of(event.device_id)
            and event.event == trigger.event
            and all(same(event.data.get(k), v) for k, v in trigger.data.items())
        ):
            return {"platform": "event", "device": event.device_id, "event": event.event,
                    "data": event.data}  # fmt: skip
    elif isinstance(trigger, AvailabilityTrigger):
        wanted = DeviceOnline if trigger.to == "online" else DeviceOffline
        if isinstance(event, wanted) and reference_key(trigger.device) in keys_of(event.device_id):
            return {"platform": "availability", "device": event.device_id, "to": trigger.to}
    elif isinstance(trigger, MqttTrigger):
        if isinstance(event, MqttMessage) and (
            event.topic == trigger.topic
            or (
                is_wildcard(trigger.topic)
                and topic_matches(tuple(trigger.topic.split("/")), event.topic.split("/"))
            )
        ):
            return mqtt_data(trigger, event.topic, event.payload)
    elif (
        isinstance(trigger, WebhookTrigger)
        and isinstance(event, WebhookCall)
        and event.webhook_id == trigger.webhook_id
    ):
        return {"platform": "webhook", "webhook_id": event.webhook_id, "data": event.data}
    return None


class Waiters:
    """The ``wait`` actions in progress; each takes the first event matching its triggers."""

    def __init__(self, keys_of: Callable[[str], tuple[str, ...]] = _own_key) -> None:
        self.entries: list[tuple[list[Trigger], asyncio.Future[dict[str, Any]]]] = []
        self.keys_of = keys_of

    async def wait(self, triggers: list[Trigger], seconds: float) -> dict[str, Any] | None:
        """The matching event's trigger data, or None after ``seconds``."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        entry = (triggers, future)
        self.entries.append(entry)
        try:
            return await asyncio.wait_for(future, seconds)
        except TimeoutError:
            return None
        finally:
            self.entries.remove(entry)

    def offer(self, event: object) -> None:
        for triggers, future in list(self.entries):
            if future.done():
                continue
            for trigger in triggers:
                data = match_event(trigger, event, self.keys_of)
                if data is not None:
                    future.set_result(data)
                    break

    def cancel(self) -> None:
        for _, future in self.entries:
            future.cancel()
