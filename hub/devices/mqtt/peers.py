"""PeerImport: the devices other mihub hubs export on the same broker, as devices of this home.

Every hub exports under ``<root>/<hub id>/...`` (:mod:`hub.devices.mqtt.bridge`; ``<root>`` is
``mihub`` unless ``mqtt.prefix`` says otherwise). A hub with ``mqtt.peers`` reads, for each
peer (every hub, or the listed ones):

- ``<root>/<hub>/status``: the hub's birth and will; a hub that goes away takes its devices
  offline with it (after the registry's flap guard);
- ``<root>/<hub>/<device>/config``: the device's description, from which it is built with
  the same Features (an empty one withdraws it);
- ``<root>/<hub>/<device>`` (state), ``.../availability`` and ``.../event/<event>``;
- ``.../result``: the owning hub's answers to the commands this hub sends
  (:mod:`hub.devices.mqtt.peer_commands`).

A device keeps its id and carries the hub that owns it (``Device.hub``); its name and room
follow the owning hub's. An id is owned by one hub: the first whose description this hub saw
(a device of this hub's own is never replaced); another hub exporting the same id is logged
and ignored until the owner withdraws it. Imported devices are never exported again (the
bridge skips ``Protocol.PEER``), and this hub's own exports are not imported: no loops.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from types import TracebackType
from typing import Any

from hub.bus import DeviceEvent
from hub.devices.model import Device, Feature, FeatureKind, Protocol, Value
from hub.devices.mqtt import bridge_description, json_payload
from hub.devices.mqtt.connection import ConnectionState, MqttConnection
from hub.devices.mqtt.peer_commands import PeerCommands, action_output, feature_outcome
from hub.devices.mqtt.topic_warnings import TopicWarnings
from hub.devices.registry import DeviceRegistry
from hub.errors import DeviceTimeout

_LOGGER = logging.getLogger(__name__)
_PENDING_LIMIT = 10_000
_STATELESS = frozenset({FeatureKind.ACTION, FeatureKind.EVENT, FeatureKind.IMAGE})


def forget_unimported(registry: DeviceRegistry, peers: bool | Collection[str]) -> list[str]:
    """Remove the devices imported from hubs ``peers`` no longer names (all, when it is off or
    MQTT is): stored, they would come back offline at every start, with no hub to own them.
    Returns the removed ids."""
    gone = [
        device for device in registry.devices.values()
        if device.protocol is Protocol.PEER and not (
            peers is True or (peers and device.hub in peers))
    ]  # fmt: skip
    by_hub: dict[str, int] = {}
    for device in gone:
        registry.remove(device.id)
        by_hub[str(device.hub)] = by_hub.get(str(device.hub), 0) + 1
    for hub, count in sorted(by_hub.items()):
        _LOGGER.info("mqtt.peers no longer imports hub '%s': its %d devices are removed", hub,
                     count)  # fmt: skip
    return [device.id for device in gone]


class PeerImport:
    def __init__(
        self,
        connection: MqttConnection,
        registry: DeviceRegistry,
        peers: bool | Collection[str] = True,
        timeout: float = 10.0,
    ) -> None:
        root, _, own = connection.prefix.rpartition("/")
        if not root:
            raise ValueError(f"importing peers needs a prefix '<root>/<hub id>', not "
                             f"'{connection.prefix}'")  # fmt: skip
        self.connection = connection
        self.registry = registry
        self.root, self.hub_id = root, own
        self.peers = peers
        self.commands = PeerCommands(connection, own, timeout)
        self.warnings = TopicWarnings(_LOGGER)
        self.owner: dict[str, str] = {}
        """Per imported device, the hub that owns it."""
        self.hubs: dict[str, bool] = {}
        """Per peer hub seen, whether its status says online."""
        self._reported: dict[str, bool] = {}
        self._rivals: dict[str, dict[str, bytes]] = {}
        self._pending: dict[tuple[str, str, str], bytes] = {}
        self._undo: list[Callable[[], None]] = []

    # ---- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> PeerImport:
        self.registry.adapters[Protocol.PEER] = self
        hubs = ["+"] if self.peers is True else list(self.peers or ())
        subscribe = self.connection.subscribe
        self._undo = [self.connection.add_state_listener(self._on_connection)]
        for hub in hubs:  # never `<hub>/+/+`: it would overlap the bridge's own `/set`
            for level in ("+", "+/config", "+/availability", "+/result", "+/event/+"):
                self._undo.append(subscribe(f"{self.root}/{hub}/{level}", self._on_message))
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
        self.commands.cancel_all()
        if self.registry.adapters.get(Protocol.PEER) is self:
            del self.registry.adapters[Protocol.PEER]

    def _on_connection(self, state: ConnectionState) -> None:
        if state is ConnectionState.DISCONNECTED:
            self.hubs.clear()  # the retained statuses come again with the subscriptions
            for device_id in self.owner:
                self.registry.set_availability(device_id, False, "the MQTT broker is unreachable")

    # ---- routing --------------------------------------------------------------------------

    def _on_message(self, topic: str, payload: bytes, retain: bool) -> None:
        levels = topic[len(self.root) + 1 :].split("/")
        hub = levels[0]
        if hub == self.hub_id:
            return  # our own exports
        if len(levels) == 2:
            if levels[1] == "status":
                self._on_hub_status(hub, payload)
            else:
                self._on_state(hub, levels[1], payload)
        elif len(levels) == 3:
            device_id, kind = levels[1], levels[2]
            if kind == "config":
                self._on_description(topic, hub, device_id, payload)
            elif kind == "availability":
                self._on_availability(hub, device_id, payload)
            elif kind == "result":
                self.commands.on_result(payload)
        elif not retain:  # a retained event is history, not an event
            self._on_event(topic, hub, levels[1], levels[3], payload)

    def _held(self, hub: str, device_id: str, kind: str, payload: bytes) -> bool:
        """False when ``hub`` owns the device; else keep the message for when it does (its
        description comes later, or the hub that owns the id now withdraws it)."""
        if self.owner.get(device_id) == hub:
            return False
        key = (hub, device_id, kind)
        if key in self._pending or len(self._pending) < _PENDING_LIMIT:
            self._pending[key] = payload
        return True

    # ---- hubs and devices -----------------------------------------------------------------

    def _on_hub_status(self, hub: str, payload: bytes) -> None:
        online = payload == b"online"
        if self.hubs.get(hub) is not online:
            _LOGGER.info("mihub hub '%s' is %s", hub, "online" if online else "offline")
        self.hubs[hub] = online
        for device_id, owner in self.owner.items():
            if owner == hub:
                if not online:  # back, its devices are online once it says so again
                    self._reported.pop(device_id, None)
                self._apply_availability(device_id)

    def _on_description(self, topic: str, hub: str, device_id: str, payload: bytes) -> None:
        if not payload:
            self._withdrawn(hub, device_id)
            return
        try:
            description = bridge_description.parse(payload)
        except ValueError as exc:
            self.warnings.warn(topic, "not a device description", str(exc))
            return
        owner = self.owner.get(device_id)
        known = self.registry.devices.get(device_id)
        if owner not in (None, hub):
            self._rivals.setdefault(device_id, {})[hub] = payload
            self.warnings.warn(topic, f"device '{device_id}' is exported by hub '{hub}' too; "
                                      f"it stays hub '{owner}''s, seen first")  # fmt: skip
            return
        if owner is None and known is not None and known.protocol is not Protocol.PEER:
            self.warnings.warn(topic, f"device '{device_id}' exported by hub '{hub}' is one of "
                                      "this hub's own: not imported")  # fmt: skip
            return
        self.owner[device_id] = hub
        self.registry.add(Device(
            id=device_id, name=description.name, model=description.model,
            protocol=Protocol.PEER, manufacturer=description.manufacturer,
            room=description.room, features=description.features, endpoint={"hub": hub},
            hub=hub,
        ))  # fmt: skip
        if known is not None and (known.name, known.room) != (description.name, description.room):
            self.registry.rename_nowait(device_id, description.name, description.room or "")
        for kind in ("", "availability"):
            held = self._pending.pop((hub, device_id, kind), None)
            if held is not None:
                (self._on_state if not kind else self._on_availability)(hub, device_id, held)
        self._apply_availability(device_id)

    def _withdrawn(self, hub: str, device_id: str) -> None:
        self._rivals.get(device_id, {}).pop(hub, None)
        if self.owner.get(device_id) != hub:
            return
        del self.owner[device_id]
        self._reported.pop(device_id, None)
        self.registry.remove(device_id)
        _LOGGER.info("hub '%s' no longer exports %s", hub, device_id)
        rivals = self._rivals.pop(device_id, {})
        if rivals:  # the next hub that exports the id takes it
            rival, payload = next(iter(rivals.items()))
            self._rivals[device_id] = rivals
            self._on_description(f"{self.root}/{rival}/{device_id}/config", rival, device_id,
                                 payload)  # fmt: skip
            rivals.pop(rival, None)

    def _on_state(self, hub: str, device_id: str, payload: bytes) -> None:
        if self._held(hub, device_id, "", payload):
            return
        device = self.registry.devices.get(device_id)
        try:
            data = json_payload.loads(payload) if payload else {}
        except ValueError:
            data = None
        if device is None or not isinstance(data, dict):
            return
        features = device.features
        values: dict[str, Value] = {}
        for key, value in data.items():
            feature = features.get(key)
            if feature is not None and feature.kind not in _STATELESS:
                values[key] = value
        if values:
            self.registry.update(device_id, values)

    def _on_availability(self, hub: str, device_id: str, payload: bytes) -> None:
        if self._held(hub, device_id, "availability", payload):
            return
        self._reported[device_id] = payload == b"online"
        self._apply_availability(device_id)

    def _apply_availability(self, device_id: str) -> None:
        hub = self.owner[device_id]
        if not self.hubs.get(hub, False):
            self.registry.set_availability(device_id, False, f"hub '{hub}' is offline")
        elif not self._reported.get(device_id, False):
            self.registry.set_availability(device_id, False, f"offline on hub '{hub}'")
        else:
            self.registry.set_availability(device_id, True)

    def _on_event(self, topic: str, hub: str, device_id: str, event: str, payload: bytes) -> None:
        if self.owner.get(device_id) != hub:
            return
        try:
            data = json_payload.loads(payload)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self.warnings.warn(topic, "an event that is not a JSON object", payload)
            return
        data.pop("event_type", None)
        self.registry.bus.publish(DeviceEvent(device_id, event, data))

    # ---- commands (DeviceAdapter) ---------------------------------------------------------

    def _owner_of(self, device: Device) -> str:
        hub = self.owner.get(device.id) or device.hub or "?"
        if not self.hubs.get(hub, False):
            raise DeviceTimeout(f"hub '{hub}', which owns '{device.id}', is offline")
        return hub

    async def set_value(self, device: Device, feature: Feature, value: Value) -> None:
        """Send the value to the owning hub; return when it answered, raise its failure."""
        hub = self._owner_of(device)
        topic = f"{self.root}/{hub}/{device.id}/set"
        answer = await self.commands.ask(hub, topic, {feature.id: value})
        outcome = feature_outcome(hub, answer, feature.id)
        if outcome.get("status") == "confirmed":
            self.registry.update(device.id, {feature.id: value})

    async def call_action(
        self, device: Device, feature: Feature, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        hub = self._owner_of(device)
        topic = f"{self.root}/{hub}/{device.id}/action"
        body = {"action": feature.id, "args": dict(args)}
        return action_output(hub, await self.commands.ask(hub, topic, body))
