"""The API tests' home: a lamp, a thermometer, a camera and a button behind the registry.

``EchoAdapter`` is the registry's public extension point (``set_value`` / ``call_action``):
it applies a command by reporting the new value back, as a device's own state report would.
The browser test swaps this home for the simulated fleet by replacing one fixture.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.bus import EventBus
from hub.devices.model import Device, Feature, FeatureKind, Protocol, Value
from hub.devices.registry import DeviceRegistry
from hub.store import Store


class EchoAdapter:
    def __init__(self, registry: DeviceRegistry) -> None:
        self.registry = registry
        self.sent: list[tuple[str, str, Value]] = []

    async def set_value(self, device: Device, feature: Feature, value: Value) -> None:
        self.sent.append((device.id, feature.id, value))
        self.registry.update(device.id, {feature.id: value})

    async def call_action(
        self, device: Device, feature: Feature, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        self.sent.append((device.id, feature.id, None))
        self.registry.update(device.id, {"power": not device.value("power")})
        return {}


LAMP = {
    "power": Feature("power", FeatureKind.SWITCH, name="Power", writable=True),
    "brightness": Feature(
        "brightness",
        FeatureKind.NUMBER,
        name="Brightness",
        unit="%",
        minimum=1,
        maximum=100,
        step=1,
        writable=True,
    ),
    "mode": Feature(
        "mode", FeatureKind.CHOICE, name="Mode", choices=("day", "night"), writable=True
    ),
    "toggle": Feature("toggle", FeatureKind.ACTION, name="Toggle", readable=False, writable=True),
}
THERMO = {
    "temperature": Feature("temperature", FeatureKind.SENSOR, name="Temperature", unit="°C"),
    "humidity": Feature("humidity", FeatureKind.SENSOR, name="Humidity", unit="%"),
}
CAMERA = {
    "power": Feature("power", FeatureKind.SWITCH, name="Power", writable=True),
    "motion": Feature("motion", FeatureKind.BINARY_SENSOR, name="Motion"),
    "snapshot": Feature("snapshot", FeatureKind.IMAGE, name="Snapshot"),
}
BUTTON = {"action": Feature("action", FeatureKind.EVENT, name="Press")}


def build_home(bus: EventBus, store: Store | None = None) -> tuple[DeviceRegistry, EchoAdapter]:
    registry = DeviceRegistry(bus, store, offline_grace=0, confirm_timeout=0.2)
    miio, zigbee = Protocol.MIIO, Protocol.ZIGBEE2MQTT
    registry.add(Device("lamp", "Lamp", "test.lamp", miio, features=dict(LAMP)))
    registry.add(Device("thermo", "Thermometer", "test.thermo", zigbee, features=dict(THERMO)))
    registry.add(
        Device("camera", "Hall camera", "test.camera", miio, room="Hall", features=dict(CAMERA))
    )
    registry.add(Device("button", "Button", "test.button", zigbee, features=dict(BUTTON)))
    registry.update("lamp", {"power": False, "brightness": 50, "mode": "day"})
    registry.update("thermo", {"temperature": 20.0, "humidity": 41})
    registry.update("camera", {"power": True, "motion": False})
    for device_id in ("lamp", "thermo", "camera", "button"):
        registry.set_availability(device_id, True)
    adapter = EchoAdapter(registry)
    registry.adapters[miio] = adapter
    registry.adapters[zigbee] = adapter
    return registry, adapter
