"""MqttBridge: the hub's own devices on MQTT, for Home Assistant, Node-RED and other hubs.

Per exported device, under ``<prefix>/<device id>`` (the prefix is the connection's,
``mihub/<hub id>`` by default, beside the hub's own ``status`` birth and will):

- ``<device id>``: its state as one retained JSON object, as Zigbee2MQTT does; bursts of
  changes are gathered for ``coalesce`` seconds into one message;
- ``<device id>/availability``: ``online`` / ``offline``, retained;
- ``<device id>/config``: its description (features as the Feature model has them), retained,
  from which another mihub hub imports it (:mod:`hub.devices.mqtt.bridge_description`);
- ``<device id>/set`` and ``<device id>/action``: commands, answered on ``<device id>/result``
  (with the command's ``transaction``, see :mod:`hub.devices.mqtt.bridge_commands`);
- ``<device id>/event/<event>``: each event, ``{"event_type": ..., ...data}``;
- ``<device id>/image/<feature id>``: a camera's picture (:mod:`hub.devices.mqtt.bridge_images`);
- Home Assistant discovery configs (see :mod:`hub.devices.mqtt.bridge_discovery`).

A renamed or moved device has its configs, description and state published again. Devices
that came from MQTT (Zigbee2MQTT, HA discovery, other mihub hubs) are never exported: no loops.
A device that goes, or stops being exported, has its retained topics cleared; so do configs
this hub left on the broker in an earlier run for a device it no longer exports.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Collection, Coroutine
from types import TracebackType
from typing import Any

import orjson

from hub.bus import (
    DeviceAdded,
    DeviceEvent,
    DeviceOffline,
    DeviceOnline,
    DeviceRemoved,
    DeviceRenamed,
    StateChanged,
)
from hub.devices.model import Availability, Device, FeatureKind, Protocol
from hub.devices.mqtt import bridge_commands as commands
from hub.devices.mqtt.bridge_description import describe
from hub.devices.mqtt.bridge_discovery import BridgeTopics, device_configs, hub_config
from hub.devices.mqtt.bridge_images import ImagePublisher, Snapshot, image_feature
from hub.devices.mqtt.connection import ConnectionState, MqttConnection, MqttError
from hub.devices.mqtt.topic_warnings import TopicWarnings
from hub.devices.registry import DeviceRegistry

_LOGGER = logging.getLogger(__name__)
IMPORTED = frozenset({Protocol.ZIGBEE2MQTT, Protocol.MQTT, Protocol.PEER})
_STATELESS = frozenset({FeatureKind.ACTION, FeatureKind.EVENT, FeatureKind.IMAGE})


class MqttBridge:
    def __init__(
        self,
        connection: MqttConnection,
        registry: DeviceRegistry,
        topics: BridgeTopics,
        export: str | Collection[str] = "all",
        discovery: bool = True,
        coalesce: float = 0.05,
        snapshot: Snapshot | None = None,
        image_interval: float = 60.0,
    ) -> None:
        self.connection = connection
        self.registry = registry
        self.topics = topics
        self.export = export
        """``"all"``, ``"none"``, or device ids and room names."""
        self.discovery = discovery
        self.coalesce = coalesce
        self.warnings = TopicWarnings(_LOGGER)
        self.images = (
            ImagePublisher(snapshot, self._send, image_interval)
            if snapshot is not None and image_interval > 0
            else None
        )
        self.configs: dict[str, set[str]] = {}
        """Per exported device, the discovery config topics published for it."""
        self._fingerprints: dict[str, int] = {}
        self._dirty: set[str] = set()
        self._flush: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._undo: list[Callable[[], None]] = []

    def exported(self, device: Device) -> bool:
        if device.protocol in IMPORTED or self.export == "none":
            return False
        return self.export == "all" or device.id in self.export or device.room in self.export

    # ---- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> MqttBridge:
        bus, subscribe, base = self.registry.bus, self.connection.subscribe, self.topics.base
        self._undo = [
            bus.subscribe(StateChanged, self._on_state),
            bus.subscribe(DeviceOnline, lambda e: self._refresh(e.device_id, force=False)),
            bus.subscribe(DeviceOffline, lambda e: self._publish_availability(e.device_id)),
            bus.subscribe(DeviceAdded, lambda e: self._refresh(e.device_id)),
            bus.subscribe(DeviceRemoved, lambda e: self._withdraw(e.device_id)),
            bus.subscribe(DeviceRenamed, lambda e: self._refresh(e.device_id, force=False)),
            bus.subscribe(DeviceEvent, self._on_event),
            subscribe(f"{base}/+/set", self._on_command),
            subscribe(f"{base}/+/action", self._on_command),
            self.connection.add_state_listener(self._on_connection),
        ]
        if self.discovery:
            prefix = self.topics.discovery_prefix
            self._undo.append(subscribe(f"{prefix}/+/+/+/config", self._on_old_config))
        if self.images is not None:
            task = asyncio.get_running_loop().create_task(self.images.run(), name="mqtt-images")
            self._tasks.add(task)
        if self.connection.state is ConnectionState.CONNECTED:
            self.publish_all()
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
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for device_id in self.configs:
            self._send(f"{self.topics.state(device_id)}/availability", b"offline")

    def _on_connection(self, state: ConnectionState) -> None:
        if state is ConnectionState.CONNECTED:
            self.publish_all()  # the broker may have lost every retained message

    # ---- publishing -----------------------------------------------------------------------

    def publish_all(self) -> None:
        if self.discovery:
            topic, config = hub_config(self.topics)
            self._send(topic, json.dumps(config).encode())
        for device_id in list(self.registry.devices):
            self._refresh(device_id)

    def _refresh(self, device_id: str, force: bool = True) -> None:
        """Publish a device's configs (if they changed), availability and state, or withdraw
        it. A device that comes online may have new features (a firmware update)."""
        device = self.registry.devices.get(device_id)
        if device is None or not self.exported(device):
            self._withdraw(device_id)
            return
        cameras = self.images is not None
        configs = device_configs(device, self.topics, cameras) if self.discovery else {}
        payloads = {topic: json.dumps(config).encode() for topic, config in configs.items()}
        payloads[f"{self.topics.state(device_id)}/config"] = describe(device)
        fingerprint = hash(tuple(payloads.items()))
        if force or self._fingerprints.get(device_id) != fingerprint:
            for topic in self.configs.get(device_id, set()) - set(configs):
                self._send(topic, b"")
            for topic, payload in payloads.items():
                self._send(topic, payload)
        self.configs[device_id] = set(payloads)
        self._fingerprints[device_id] = fingerprint
        self._publish_availability(device_id)
        self._publish_state(device)
        image = image_feature(device) if self.images is not None else None
        if self.images is not None and image is not None:
            self.images.track(device_id, self.topics.image(device_id, image))

    def _withdraw(self, device_id: str) -> None:
        """Clear every retained topic of a device that went or is no longer exported."""
        topics = self.configs.pop(device_id, None)
        if topics is None:
            return
        self._fingerprints.pop(device_id, None)
        self._dirty.discard(device_id)
        state = self.topics.state(device_id)
        images = self.images.topics.get(device_id) if self.images is not None else None
        for topic in (*topics, state, f"{state}/availability", *([images] if images else [])):
            self._send(topic, b"")
        if self.images is not None:
            self.images.untrack(device_id)
        _LOGGER.info("%s is no longer exported on MQTT", device_id)

    def _publish_availability(self, device_id: str) -> None:
        device = self.registry.devices.get(device_id)
        if device is None or device_id not in self.configs:
            return
        online = device.availability is Availability.ONLINE
        self._send(
            f"{self.topics.state(device_id)}/availability", b"online" if online else b"offline"
        )

    def _publish_state(self, device: Device) -> None:
        state = {
            f.id: device.value(f.id)
            for f in device.features.values()
            if f.readable and f.kind not in _STATELESS
        }
        self._send(self.topics.state(device.id), orjson.dumps(state))

    def _on_state(self, event: StateChanged) -> None:
        if event.device_id not in self.configs:
            return
        self._dirty.add(event.device_id)
        if self.images is not None:
            self.images.poke(event.device_id)
        if self._flush is None:
            loop = asyncio.get_running_loop()
            self._flush = loop.call_later(self.coalesce, self._flush_dirty)

    def _flush_dirty(self) -> None:
        self._flush = None
        dirty, self._dirty = self._dirty, set()
        for device_id in dirty:
            device = self.registry.devices.get(device_id)
            if device is not None:
                self._publish_state(device)

    def _on_event(self, event: DeviceEvent) -> None:
        device = self.registry.devices.get(event.device_id)
        if device is None or event.device_id not in self.configs:
            return
        feature = device.features.get(event.event)
        value = event.data.get("value")
        event_type = (
            value
            if feature and isinstance(value, str) and value in feature.choices
            else event.event
        )
        payload = orjson.dumps({"event_type": event_type, **event.data})
        self._send(
            f"{self.topics.state(event.device_id)}/event/{event.event}", payload, retain=False
        )

    def _send(self, topic: str, payload: bytes, retain: bool = True) -> None:
        try:
            self.connection.publish_nowait(topic, payload, qos=1, retain=retain)
        except MqttError as exc:  # not connected: everything is published again on connect
            _LOGGER.debug("not published to '%s': %s", topic, exc)

    # ---- commands -------------------------------------------------------------------------

    def _on_command(self, topic: str, payload: bytes, retain: bool) -> None:
        device_id, verb = topic[len(self.topics.base) + 1 :].rsplit("/", 1)
        if retain:  # a command left retained on the broker must not run again at every start
            self.warnings.warn(topic, "ignored a retained command")
            return
        try:
            if verb == "set":
                values, transaction = commands.parse_set(payload)
                job = commands.run_set(self.registry, device_id, values)
            else:
                action, args, transaction = commands.parse_action(payload)
                job = commands.run_action(self.registry, device_id, action, args)
        except commands.BadCommand as exc:
            self.warnings.warn(topic, "bad command", str(exc))
            self._answer(device_id, {"device": device_id, "error": str(exc)}, exc.transaction)
            return
        if self.registry.devices.get(device_id) is None or device_id not in self.configs:
            job.close()
            error = f"no exported device '{device_id}'"
            self._answer(device_id, {"device": device_id, "error": error}, transaction)
            return
        self._start(device_id, job, transaction)

    def _start(
        self,
        device_id: str,
        job: Coroutine[Any, Any, dict[str, Any]],
        transaction: commands.Transaction,
    ) -> None:
        async def run() -> None:
            self._answer(device_id, await job, transaction)

        task = asyncio.get_running_loop().create_task(run(), name=f"mqtt-command-{device_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _answer(
        self, device_id: str, answer: dict[str, Any], transaction: commands.Transaction = None
    ) -> None:
        if transaction is not None:
            answer[commands.TRANSACTION] = transaction
        self._send(f"{self.topics.state(device_id)}/result", orjson.dumps(answer), retain=False)

    # ---- configs left by an earlier run ---------------------------------------------------

    def _on_old_config(self, topic: str, payload: bytes, retain: bool) -> None:
        node = topic.split("/")[-3]
        if not retain or not payload or not node.startswith(self.topics.node("")):
            return
        if any(topic in topics for topics in self.configs.values()):
            return
        try:
            config = json.loads(payload)
            via = config["device"]["via_device"]
            availability = config["availability"][-1]["topic"]
        except (ValueError, TypeError, KeyError, IndexError):
            return
        if via != self.topics.hub_identifier:
            return
        _LOGGER.info("clearing the discovery config '%s' left by an earlier run", topic)
        self._send(topic, b"")
        if not isinstance(availability, str):
            return
        state = availability.removesuffix("/availability")
        device_id = state.removeprefix(f"{self.topics.base}/")
        if device_id != state and device_id not in self.configs:
            self._send(state, b"")  # and its retained state, from the same run
            self._send(availability, b"")
            self._send(f"{state}/config", b"")
