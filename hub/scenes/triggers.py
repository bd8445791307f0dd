"""The trigger index: each bus event reaches only the automations that can match it.

Keys: (device, feature) for state, (device, event) for device events, device for
availability, the exact topic for MQTT (wildcard filters sit in a short list), webhook id.
The cost of an event is a dict look-up plus the automations listening on that key.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from paho.mqtt.client import topic_matches_sub

from hub.scenes.model import (
    AvailabilityTrigger,
    EventTrigger,
    MqttTrigger,
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


class TriggerIndex:
    def __init__(self) -> None:
        self.state: defaultdict[tuple[str, str], list[Listener]] = defaultdict(list)
        self.event: defaultdict[tuple[str, str], list[Listener]] = defaultdict(list)
        self.availability: defaultdict[str, list[Listener]] = defaultdict(list)
        self.topic: defaultdict[str, list[Listener]] = defaultdict(list)
        self.wildcards: list[Listener] = []
        self.webhook: defaultdict[str, list[Listener]] = defaultdict(list)
        self.start: list[Listener] = []

    def add(self, automation_id: str, triggers: list[Trigger]) -> None:
        for index, trigger in enumerate(triggers):
            listener = Listener(automation_id, index, trigger)
            if isinstance(trigger, StateTrigger):
                self.state[(trigger.device, trigger.feature)].append(listener)
            elif isinstance(trigger, EventTrigger):
                self.event[(trigger.device, trigger.event)].append(listener)
            elif isinstance(trigger, AvailabilityTrigger):
                self.availability[trigger.device].append(listener)
            elif isinstance(trigger, MqttTrigger):
                if "+" in trigger.topic or "#" in trigger.topic:
                    self.wildcards.append(listener)
                else:
                    self.topic[trigger.topic].append(listener)
            elif isinstance(trigger, WebhookTrigger):
                self.webhook[trigger.webhook_id].append(listener)
            elif trigger.platform == "start":
                self.start.append(listener)

    def remove(self, automation_id: str) -> None:
        tables: tuple[dict[Any, list[Listener]], ...] = (
            self.state, self.event, self.availability, self.topic, self.webhook,
        )  # fmt: skip
        for table in tables:
            for key in list(table):
                kept = [entry for entry in table[key] if entry.automation_id != automation_id]
                if kept:
                    table[key] = kept
                else:
                    del table[key]
        self.wildcards = [e for e in self.wildcards if e.automation_id != automation_id]
        self.start = [e for e in self.start if e.automation_id != automation_id]

    def topics(self, topic: str) -> list[Listener]:
        found = self.topic.get(topic, [])
        if self.wildcards:
            found = found + [e for e in self.wildcards if topic_matches_sub(e.trigger.topic, topic)]  # type: ignore[union-attr]
        return found

    def topic_filters(self) -> set[str]:
        filters = set(self.topic)
        filters.update(e.trigger.topic for e in self.wildcards)  # type: ignore[union-attr]
        return filters


def state_matches(trigger: StateTrigger, value: Any, old: Any) -> bool:
    if trigger.to is not None and value != trigger.to:
        return False
    if trigger.from_ is not None and old != trigger.from_:
        return False
    if trigger.above is not None or trigger.below is not None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if trigger.above is not None and not value > trigger.above:
            return False
        if trigger.below is not None and not value < trigger.below:
            return False
    return True


def crossed(trigger: StateTrigger, value: Any, old: Any) -> bool:
    """A state trigger fires on the change INTO its condition, not on every change inside it."""
    if not state_matches(trigger, value, old):
        return False
    if trigger.to is None and trigger.from_ is None and old is not None:
        numeric = trigger.above is not None or trigger.below is not None
        return not (numeric and state_matches(trigger, old, None))
    return True


def mqtt_data(trigger: MqttTrigger, topic: str, payload: bytes) -> dict[str, Any] | None:
    """The trigger data when the message matches, else None."""
    text = payload.decode("utf-8", errors="replace")
    data: dict[str, Any] = {"platform": "mqtt", "topic": topic, "payload": text}
    if trigger.value_path is not None or "{" in text[:1]:
        try:
            data["payload_json"] = json.loads(text)
        except ValueError:
            data["payload_json"] = None
    if trigger.payload is None:
        return data
    if trigger.value_path is None:
        return data if text == trigger.payload else None
    found, value = lookup({"p": data.get("payload_json")}, f"p.{trigger.value_path}")
    return data if found and str(value) == trigger.payload else None
