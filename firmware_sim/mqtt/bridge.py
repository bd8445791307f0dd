"""Zigbee2MqttBridge: a simulated Zigbee2MQTT bridge on a real MQTT broker.

State is the devices' JSON state; Service is the MQTT side (retained ``bridge/devices``,
``<name>/availability``, ``<name>`` state, ``<name>/set`` honoured); the use-case verbs below
(:meth:`press`, :meth:`motion`, :meth:`open_door`, :meth:`go_offline`...) are what a test or a
demo does to the devices.

::

    async with Zigbee2MqttBridge("127.0.0.1", 1883) as bridge:
        bridge.press("button_1", "double")
        bridge.state("plug_1")["state"]   # "ON" once someone sent {"state": "ON"} to its /set
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from firmware_sim.mqtt.catalog import MODELS, SET, ZigbeeDeviceConfig, ZigbeeModel, default_devices
from firmware_sim.mqtt.client import SimMqttClient

PLUG_LOAD_W = 11.3


@dataclass
class SimZigbeeDevice:
    config: ZigbeeDeviceConfig
    model: ZigbeeModel
    state: dict[str, Any] = field(default_factory=dict)
    online: bool = True

    @property
    def name(self) -> str:
        return self.config.friendly_name

    def entry(self, index: int) -> dict[str, Any]:
        """This device as Zigbee2MQTT lists it in ``bridge/devices``."""
        return {
            "ieee_address": self.config.ieee_address,
            "type": "Router" if self.model.power_source.startswith("Mains") else "EndDevice",
            "network_address": 0x1000 + index,
            "supported": True,
            "disabled": False,
            "friendly_name": self.name,
            "definition": self.model.definition(),
            "power_source": self.model.power_source,
            "model_id": self.model.model_id,
            "manufacturer": "LUMI",
            "interview_completed": True,
            "interviewing": False,
        }

    def settable(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        stack = list(self.model.exposes)
        while stack:
            expose = stack.pop()
            stack.extend(expose.get("features", []))
            if "property" in expose and expose.get("access", 0) & SET:
                found[expose["property"]] = expose
        return found


class Zigbee2MqttBridge:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 1883,
        base_topic: str = "zigbee2mqtt",
        devices: Sequence[ZigbeeDeviceConfig] | None = None,
    ) -> None:
        self.base = base_topic
        self.devices = {
            c.friendly_name: SimZigbeeDevice(c, MODELS[c.model], dict(MODELS[c.model].initial))
            for c in (default_devices() if devices is None else devices)
        }
        self.commands: list[tuple[str, dict[str, Any]]] = []
        """Every ``/set`` received, in order: (friendly name, payload)."""
        self._lock = threading.Lock()
        self._client = SimMqttClient(
            host,
            port,
            "sim-zigbee2mqtt",
            will=(f"{base_topic}/bridge/state", b'{"state":"offline"}'),
            on_connect=self._announce,
        )

    async def __aenter__(self) -> Zigbee2MqttBridge:
        self._client.subscribe(f"{self.base}/+/set", self._on_set)
        await self._client.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._client.stop(goodbye=(f"{self.base}/bridge/state", b'{"state":"offline"}'))

    @property
    def connections(self) -> int:
        """How many times the bridge connected to the broker (reconnects included)."""
        return self._client.connections

    # ---- service --------------------------------------------------------------------------

    def _announce(self) -> None:
        """What Zigbee2MQTT publishes when it (re)connects, all retained."""
        publish = self._client.publish
        publish(f"{self.base}/bridge/state", {"state": "online"}, retain=True)
        with self._lock:
            devices = list(self.devices.values())
            coordinator = {"ieee_address": "0x00124b0000000000", "type": "Coordinator"}
            entries = [coordinator] + [d.entry(i) for i, d in enumerate(devices, start=1)]
            publish(f"{self.base}/bridge/devices", entries, retain=True)
            for device in devices:
                availability = b"online" if device.online else b"offline"
                publish(f"{self.base}/{device.name}/availability", availability, retain=True)
                publish(f"{self.base}/{device.name}", device.state, retain=True)

    def _on_set(self, topic: str, payload: bytes) -> None:
        name = topic[len(self.base) + 1 : -len("/set")]
        device = self.devices.get(name)
        try:
            request = json.loads(payload)
        except ValueError:
            return  # Zigbee2MQTT logs "Invalid JSON" on bridge/logging and does nothing
        if device is None or not device.online or not isinstance(request, dict):
            return
        self.commands.append((name, request))
        settable = device.settable()
        with self._lock:
            for key, value in request.items():
                expose = settable.get(key)
                if expose is None:
                    continue
                if expose["type"] == "binary":
                    if value == expose.get("value_toggle"):
                        on = device.state.get(key) == expose["value_on"]
                        value = expose["value_off"] if on else expose["value_on"]
                    if value not in (expose["value_on"], expose["value_off"]):
                        continue
                elif expose["type"] == "numeric" and not isinstance(value, int | float):
                    continue
                device.state[key] = value
            if device.model.model == "ZNCZ02LM":
                device.state["power"] = PLUG_LOAD_W if device.state["state"] == "ON" else 0.0
        self._publish_state(device)

    def _publish_state(self, device: SimZigbeeDevice, **extra: Any) -> None:
        with self._lock:
            state = dict(device.state)
        topic = f"{self.base}/{device.name}"
        if extra:  # an action is an event: never retained, so it is never replayed
            self._client.publish(topic, {**state, **extra})
        else:
            self._client.publish(topic, state, retain=True)

    # ---- use cases ------------------------------------------------------------------------

    def state(self, name: str) -> dict[str, Any]:
        with self._lock:
            return dict(self.devices[name].state)

    def report(self, name: str, **values: Any) -> None:
        """The device reports new values (they are merged into its state and published)."""
        device = self.devices[name]
        with self._lock:
            device.state.update(values)
        self._publish_state(device)

    def press(self, name: str, action: str = "single") -> None:
        """Press a wireless button: ``single``, ``double``, ``hold``, ``release``..."""
        self._publish_state(self.devices[name], action=action)

    def motion(self, name: str, occupied: bool = True, illuminance: int | None = None) -> None:
        values: dict[str, Any] = {"occupancy": occupied}
        if illuminance is not None:
            values["illuminance"] = illuminance
        self.report(name, **values)

    def open_door(self, name: str) -> None:
        self.report(name, contact=False)

    def close_door(self, name: str) -> None:
        self.report(name, contact=True)

    def set_temperature(
        self,
        name: str,
        celsius: float,
        humidity: float | None = None,
        pressure: float | None = None,
    ) -> None:
        values = {"temperature": celsius, "humidity": humidity, "pressure": pressure}
        self.report(name, **{k: v for k, v in values.items() if v is not None})

    def go_offline(self, name: str) -> None:
        """The device stops answering; Zigbee2MQTT's availability check says so."""
        self._set_online(name, False)

    def go_online(self, name: str) -> None:
        self._set_online(name, True)

    def _set_online(self, name: str, online: bool) -> None:
        self.devices[name].online = online
        payload = b"online" if online else b"offline"
        self._client.publish(f"{self.base}/{name}/availability", payload, retain=True)

    def send_raw(self, name: str, payload: bytes) -> None:
        """A firmware glitch: ``payload`` as it is, on the device's state topic."""
        self._client.publish(f"{self.base}/{name}", payload)
