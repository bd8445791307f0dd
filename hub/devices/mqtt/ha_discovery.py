"""Devices announced through Home Assistant MQTT discovery (Tasmota, ESPHome, z2m, ...).

Entities that share ``device.identifiers`` become one Device ``mqtt-<identifier>``; each
entity adds its Features. The state topics the configs name are subscribed one by one and
routed by exact topic. An empty retained config withdraws the entity, and the device with
its last entity.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

from hub.devices.model import Device, Feature, FeatureKind, Protocol, Value
from hub.devices.mqtt import json_payload
from hub.devices.mqtt.bridge_discovery import ORIGIN_NAME
from hub.devices.mqtt.connection import ConnectionState, MqttConnection
from hub.devices.mqtt.ha_config import Command, ConfigProblem, HaEntity, Reading, parse_entity
from hub.devices.mqtt.topic_warnings import TopicWarnings
from hub.devices.registry import DeviceRegistry
from hub.errors import DeviceError, InvalidValue

_LOGGER = logging.getLogger(__name__)
_NOT_PARSED: Any = object()
_NO_VALUE = frozenset({"", "unknown", "unavailable", "None", "none", "null"})


class HaDiscoveryAdapter:
    def __init__(
        self, connection: MqttConnection, registry: DeviceRegistry, prefix: str = "homeassistant"
    ) -> None:
        self.connection = connection
        self.registry = registry
        self.prefix = prefix.rstrip("/")
        self.entities: dict[str, HaEntity] = {}
        self.warnings = TopicWarnings(_LOGGER)
        self._routes: dict[str, tuple[Reading, ...]] = {}
        self._availability: dict[str, tuple[tuple[str, str, str], ...]] = {}
        self._commands: dict[tuple[str, str], Command] = {}
        self._optimistic: set[tuple[str, str]] = set()
        self._tracked: set[str] = set()
        self._topics: dict[str, Callable[[], None]] = {}
        self._undo: list[Callable[[], None]] = []

    async def __aenter__(self) -> HaDiscoveryAdapter:
        self.registry.adapters[Protocol.MQTT] = self
        subscribe = self.connection.subscribe
        self._undo = [
            subscribe(f"{self.prefix}/+/+/config", self._on_config),
            subscribe(f"{self.prefix}/+/+/+/config", self._on_config),
            self.connection.add_state_listener(self._on_connection),
        ]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for undo in (*self._undo, *self._topics.values()):
            undo()
        self._undo, self._topics = [], {}
        if self.registry.adapters.get(Protocol.MQTT) is self:
            del self.registry.adapters[Protocol.MQTT]

    # ---- configs --------------------------------------------------------------------------

    def _on_config(self, topic: str, payload: bytes, retain: bool) -> None:
        parts = topic[len(self.prefix) + 1 :].split("/")
        component, object_id = parts[0], parts[-2]
        node_id = parts[1] if len(parts) == 4 else None
        old = self.entities.pop(topic, None)
        if payload.strip():
            try:
                config = json.loads(payload)
                entity = (  # a hub's own exported devices are never imported: no loops
                    None
                    if _exported_by_mihub(config)
                    else parse_entity(topic, component, node_id, object_id, config)
                )
            except (ConfigProblem, ValueError, TypeError, AttributeError) as exc:
                self.warnings.warn(topic, "discovery config ignored", str(exc))
            else:
                if entity is not None:
                    self.entities[topic] = entity
                    self._refresh(entity.device_id)
        if old is not None:
            self._refresh(old.device_id)
        self._rebuild_routes()

    def _refresh(self, device_id: str) -> None:
        entities = [e for e in self.entities.values() if e.device_id == device_id]
        if not entities:
            self.registry.remove(device_id)
            return
        features: dict[str, Feature] = {}
        for entity in entities:
            for feature in entity.features:
                if feature.id in features:
                    self.warnings.warn(entity.config_topic, f"feature '{feature.id}' taken")
                    continue
                features[feature.id] = feature
        info = next((e.device for e in entities if e.device), {})
        first = entities[0].features[0]
        self.registry.add(
            Device(
                id=device_id,
                name=str(info.get("name") or first.name),
                model=str(info.get("model") or ""),
                protocol=Protocol.MQTT,
                manufacturer=str(info.get("manufacturer") or ""),
                features=features,
                endpoint={"config_topics": [e.config_topic for e in entities]},
            )
        )

    def _rebuild_routes(self) -> None:
        routes: dict[str, list[Reading]] = {}
        availability: dict[str, list[tuple[str, str, str]]] = {}
        self._commands = {}
        self._optimistic = set()
        for entity in self.entities.values():
            read = {r.feature.id for r in entity.readings}
            for reading in entity.readings:
                routes.setdefault(reading.topic, []).append(reading)
            for feature_id, command in entity.commands.items():
                self._commands[(entity.device_id, feature_id)] = command
                if feature_id not in read:
                    self._optimistic.add((entity.device_id, feature_id))
            for topic, on, off in entity.availability:
                availability.setdefault(topic, []).append((entity.device_id, on, off))
        self._routes = {topic: tuple(readings) for topic, readings in routes.items()}
        self._availability = {topic: tuple(items) for topic, items in availability.items()}
        wanted = self._routes.keys() | self._availability.keys()
        for topic in self._topics.keys() - wanted:
            self._topics.pop(topic)()
        for topic in wanted - self._topics.keys():
            self._topics[topic] = self.connection.subscribe(topic, self._on_state)

    # ---- state ----------------------------------------------------------------------------

    def _on_state(self, topic: str, payload: bytes, retain: bool) -> None:
        for device_id, on, off in self._availability.get(topic, ()):
            text = payload.decode("utf-8", "replace").strip()
            if text in (on, off):
                self._tracked.add(device_id)
                self.registry.set_availability(device_id, text == on, "it reports unavailable")
        data = _NOT_PARSED
        updates: dict[str, dict[str, Value]] = {}
        for reading in self._routes.get(topic, ()):
            raw: Any = payload.decode("utf-8", "replace")
            if reading.path is not None:
                if data is _NOT_PARSED:
                    try:
                        data = json_payload.loads(payload)
                    except ValueError:
                        data = None
                        self.warnings.warn(topic, "state is not JSON", payload)
                raw = _walk(data, reading.path)
                if raw is _NOT_PARSED:
                    continue
            try:
                value = _value(reading, raw)
            except ValueError as exc:
                self.warnings.warn(topic, "state not understood", str(exc))
                continue
            updates.setdefault(reading.device_id, {})[reading.feature.id] = value
        for device_id, values in updates.items():
            self.registry.update(device_id, values)
            if device_id not in self._tracked:
                self.registry.set_availability(device_id, True)

    def _on_connection(self, state: ConnectionState) -> None:
        if state is ConnectionState.DISCONNECTED:
            for device_id in {e.device_id for e in self.entities.values()}:
                self.registry.set_availability(device_id, False, "the MQTT broker is unreachable")

    # ---- commands -------------------------------------------------------------------------

    async def set_value(self, device: Device, feature: Feature, value: Value) -> None:
        command = self._commands.get((device.id, feature.id))
        if command is None:
            raise DeviceError(f"'{device.id}' announced no command topic for '{feature.id}'")
        if command.scale is not None:
            payload = str(round(float(value or 0)))
        else:
            payload = command.on if value else command.off
        await self.connection.publish(command.topic, payload, command.qos, command.retain)
        if (device.id, feature.id) in self._optimistic:  # no state topic: trust the command
            self.registry.update(device.id, {feature.id: value})

    async def call_action(
        self, device: Device, feature: Feature, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        raise InvalidValue(f"MQTT device '{device.id}' has no action '{feature.id}'")


def _walk(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return _NOT_PARSED
        data = data[key]
    return data


def _value(reading: Reading, raw: Any) -> Value:
    if reading.on is not None:
        text = raw if isinstance(raw, str) else json.dumps(raw)
        if text == reading.on:
            return True
        if text == reading.off:
            return False
        raise ValueError(f"{raw!r} is neither '{reading.on}' nor '{reading.off}'")
    if isinstance(raw, bool) or raw is None:
        return raw
    if isinstance(raw, int | float):
        return raw
    text = str(raw).strip()
    if text in _NO_VALUE:
        return None
    for number in (int, float):
        try:
            return number(text)
        except ValueError:
            pass
    if reading.feature.kind is not FeatureKind.SENSOR:
        raise ValueError(f"{raw!r} is not a number")
    return text


def _exported_by_mihub(config: Any) -> bool:
    """A config a mihub hub published for its own device (``origin.name``, or ``o.name``)."""
    origin = config.get("origin", config.get("o")) if isinstance(config, dict) else None
    return isinstance(origin, dict) and origin.get("name") == ORIGIN_NAME
