"""Zigbee2MQTT devices: discovered from ``<base>/bridge/devices``, state from ``<base>/<name>``.

Every message is routed by its exact topic through a table rebuilt whenever the device list
changes, so the cost of a state message is one dict look-up, one ``json.loads`` and one
``registry.update`` whatever the number of devices. Bad messages are logged once per topic
and dropped; the device keeps working.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from hub.bus import DeviceEvent
from hub.devices.model import Device, Feature, Protocol, Value
from hub.devices.mqtt import json_payload
from hub.devices.mqtt.connection import ConnectionState, MqttConnection
from hub.devices.mqtt.topic_warnings import TopicWarnings
from hub.devices.mqtt.z2m_exposes import ExposedValue, parse_exposes
from hub.devices.registry import DeviceRegistry
from hub.errors import DeviceError, InvalidValue

_LOGGER = logging.getLogger(__name__)

Route = Callable[[str, bytes, bool], None]
_PENDING_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Z2mDevice:
    device_id: str
    friendly_name: str
    values: dict[str, ExposedValue]
    composites: dict[str, tuple[ExposedValue, ...]]
    by_feature: dict[str, ExposedValue]


class Zigbee2MqttAdapter:
    """Turns a Zigbee2MQTT bridge's topics into registry devices, and commands into ``/set``."""

    def __init__(
        self,
        connection: MqttConnection,
        registry: DeviceRegistry,
        base_topic: str = "zigbee2mqtt",
        command_qos: int = 1,
    ) -> None:
        self.connection = connection
        self.registry = registry
        self.base = base_topic.rstrip("/")
        self.command_qos = command_qos
        self.devices: dict[str, Z2mDevice] = {}
        self.warnings = TopicWarnings(_LOGGER)
        self._routes: dict[str, Route] = {}
        self._pending: dict[str, tuple[bytes, bool]] = {}
        self._tracked: set[str] = set()  # devices whose availability z2m reports
        self._known = False
        self._bridge_devices = f"{self.base}/bridge/devices"
        self._bridge_state = f"{self.base}/bridge/state"
        self._undo: list[Callable[[], None]] = []

    async def __aenter__(self) -> Zigbee2MqttAdapter:
        self.registry.adapters[Protocol.ZIGBEE2MQTT] = self
        self._undo = [
            self.connection.subscribe(f"{self.base}/#", self._on_message),
            self.connection.add_state_listener(self._on_connection),
        ]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for undo in self._undo:
            undo()
        self._undo = []
        if self.registry.adapters.get(Protocol.ZIGBEE2MQTT) is self:
            del self.registry.adapters[Protocol.ZIGBEE2MQTT]

    # ---- routing --------------------------------------------------------------------------

    def _on_message(self, topic: str, payload: bytes, retain: bool) -> None:
        route = self._routes.get(topic)
        if route is not None:
            route(topic, payload, retain)
        elif topic == self._bridge_devices:
            self._on_devices(topic, payload)
        elif topic == self._bridge_state:
            self._on_bridge_state(topic, payload)
        else:
            self._unrouted(topic, payload, retain)

    def _unrouted(self, topic: str, payload: bytes, retain: bool) -> None:
        rest = topic[len(self.base) + 1 :]
        if rest.startswith("bridge/") or rest.endswith(("/set", "/get")) or "/set/" in rest:
            return  # the bridge's other topics, and commands (ours included)
        if self._known:
            self.warnings.warn(topic, "message for a device zigbee2mqtt did not announce")
        if len(self._pending) < _PENDING_LIMIT or topic in self._pending:
            self._pending[topic] = (payload, retain)  # the device list may come after it

    def _rebuild_routes(self) -> None:
        routes: dict[str, Route] = {}
        for dev in self.devices.values():
            topic = f"{self.base}/{dev.friendly_name}"
            routes[topic] = functools.partial(self._on_state, dev)
            routes[f"{topic}/availability"] = functools.partial(self._on_availability, dev)
        self._routes = routes
        pending, self._pending = self._pending, {}
        for topic, (payload, retain) in pending.items():
            route = routes.get(topic)
            if route is not None:
                route(topic, payload, retain)
            else:
                self._pending[topic] = (payload, retain)

    # ---- the device list ------------------------------------------------------------------

    def _on_devices(self, topic: str, payload: bytes) -> None:
        try:
            entries = json.loads(payload)
        except ValueError:
            self.warnings.warn(topic, "device list is not JSON", payload)
            return
        if not isinstance(entries, list):
            self.warnings.warn(topic, "device list is not a JSON array", entries)
            return
        devices: dict[str, Z2mDevice] = {}
        for entry in entries:
            built = self._device(topic, entry)
            if built is not None:
                device, z2m = built
                self.registry.add(device)
                devices[device.id] = z2m
        for gone in self.devices.keys() - devices.keys():
            self.registry.set_availability(gone, False, "removed from zigbee2mqtt")
        self.devices = devices
        self._known = True
        self._rebuild_routes()

    def _device(self, topic: str, entry: Any) -> tuple[Device, Z2mDevice] | None:
        if not isinstance(entry, dict) or entry.get("type") == "Coordinator":
            return None
        ieee, name = entry.get("ieee_address"), entry.get("friendly_name")
        definition = entry.get("definition")
        if not isinstance(ieee, str) or not isinstance(name, str) or not name:
            self.warnings.warn(topic, "device entry without ieee_address/friendly_name", entry)
            return None
        if not isinstance(definition, dict):
            self.warnings.warn(topic, f"device '{name}' is not supported by zigbee2mqtt")
            return None

        def unknown(what: str) -> None:
            self.warnings.warn(topic, f"device '{name}': skipped {what}")

        values, composites = parse_exposes(definition.get("exposes"), unknown)
        members = [v for group in composites.values() for v in group]
        by_feature = {v.feature.id: v for v in (*values.values(), *members)}
        device_id = f"zigbee-{ieee}"
        device = Device(
            id=device_id,
            name=name,
            model=str(definition.get("model", "")),
            protocol=Protocol.ZIGBEE2MQTT,
            manufacturer=str(definition.get("vendor", "")),
            features={f.id: f for f in (v.feature for v in by_feature.values())},
            endpoint={"base_topic": self.base, "friendly_name": name, "ieee_address": ieee},
        )
        return device, Z2mDevice(device_id, name, values, composites, by_feature)

    # ---- state, events and availability ---------------------------------------------------

    def _on_state(self, dev: Z2mDevice, topic: str, payload: bytes, retain: bool) -> None:
        try:
            data = json_payload.loads(payload)
        except ValueError:
            self.warnings.warn(topic, "state is not JSON", payload)
            return
        if type(data) is not dict:
            self.warnings.warn(topic, "state is not a JSON object", data)
            return
        values: dict[str, Value] = {}
        known = dev.values
        for key, raw in data.items():
            exposed = known.get(key)
            if exposed is None:
                members = dev.composites.get(key)
                if members is not None:
                    self._decode_composite(topic, members, raw, values)
                continue
            if exposed.is_event:
                if raw and not retain:  # a retained press is history, not a press
                    event = DeviceEvent(dev.device_id, key, {"value": raw})
                    self.registry.bus.publish(event)
                continue
            try:
                values[exposed.feature.id] = exposed.decode(raw)
            except ValueError as exc:
                self.warnings.warn(topic, "wrong value type", str(exc))
        if values:
            self.registry.update(dev.device_id, values)
        if not retain and dev.device_id not in self._tracked:
            self.registry.set_availability(dev.device_id, True)

    def _decode_composite(
        self, topic: str, members: tuple[ExposedValue, ...], raw: Any, values: dict[str, Value]
    ) -> None:
        if not isinstance(raw, dict):
            self.warnings.warn(topic, f"'{members[0].parent}' is not a JSON object", raw)
            return
        for member in members:
            if member.key in raw:
                try:
                    values[member.feature.id] = member.decode(raw[member.key])
                except ValueError as exc:
                    self.warnings.warn(topic, "wrong value type", str(exc))

    def _on_availability(self, dev: Z2mDevice, topic: str, payload: bytes, retain: bool) -> None:
        state = _availability(payload)
        if state is None:
            self.warnings.warn(topic, "availability is neither online nor offline", payload)
            return
        self._tracked.add(dev.device_id)
        self.registry.set_availability(
            dev.device_id, state, "" if state else "zigbee2mqtt reports it offline"
        )

    def _on_bridge_state(self, topic: str, payload: bytes) -> None:
        state = _availability(payload)
        if state is None:
            self.warnings.warn(topic, "bridge state is neither online nor offline", payload)
        elif not state:
            self._all_offline("the zigbee2mqtt bridge is offline")

    def _on_connection(self, state: ConnectionState) -> None:
        if state is ConnectionState.DISCONNECTED:
            self._all_offline("the MQTT broker is unreachable")

    def _all_offline(self, reason: str) -> None:
        for device_id in self.devices:
            self.registry.set_availability(device_id, False, reason)

    # ---- commands -------------------------------------------------------------------------

    async def set_value(self, device: Device, feature: Feature, value: Value) -> None:
        """Publish ``{"<property>": value}`` to ``<base>/<name>/set``; return once sent."""
        dev = self.devices.get(device.id)
        if dev is None:
            raise DeviceError(f"'{device.id}' is not in zigbee2mqtt's device list")
        exposed = dev.by_feature.get(feature.id)
        if exposed is None or not exposed.feature.writable:
            raise InvalidValue(f"feature '{feature.id}' of '{device.id}' cannot be set")
        payload = json.dumps({exposed.key: exposed.encode(value)})
        topic = f"{self.base}/{dev.friendly_name}/set"
        await self.connection.publish(topic, payload, qos=self.command_qos)

    async def call_action(
        self, device: Device, feature: Feature, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        raise InvalidValue(f"zigbee2mqtt device '{device.id}' has no action '{feature.id}'")


def _availability(payload: bytes) -> bool | None:
    text = payload.strip()
    if text.startswith(b"{"):
        try:
            data = json.loads(text)
        except ValueError:
            return None
        state = data.get("state") if isinstance(data, dict) else None
        text = state.encode() if isinstance(state, str) else b""
    if text == b"online":
        return True
    if text == b"offline":
        return False
    return None
