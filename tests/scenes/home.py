"""A small home for engine tests: a lamp, a button, a thermometer, behind the registry.

The adapter is the registry's public extension point: a command is applied by reporting the
new value back, as a device's state report would.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.bus import EventBus, MqttMessage
from hub.devices.model import Device, Feature, FeatureKind, Protocol, Value
from hub.devices.registry import DeviceRegistry
from hub.errors import DeviceError, DeviceTimeout
from hub.scenes.engine import AutomationEngine
from hub.store import Store


class EchoAdapter:
    """Applies a command by reporting the value back; ``unreachable`` devices time out,
    ``refusing`` ones refuse, ``silent`` ones accept without reporting."""

    def __init__(self, registry: DeviceRegistry) -> None:
        self.registry = registry
        self.sent: list[tuple[str, str, Value]] = []
        self.unreachable: set[str] = set()
        self.refusing: set[str] = set()
        self.silent: set[str] = set()

    async def set_value(self, device: Device, feature: Feature, value: Value) -> None:
        self.sent.append((device.id, feature.id, value))
        if device.id in self.unreachable:
            raise DeviceTimeout("no reply after 3 attempts")
        if device.id in self.refusing:
            raise DeviceError("the device refused: -4004", code=-4004)
        if device.id not in self.silent:
            self.registry.update(device.id, {feature.id: value})

    async def call_action(
        self, device: Device, feature: Feature, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        self.sent.append((device.id, feature.id, None))
        self.registry.update(device.id, {"power": not device.value("power")})
        return {}


def build_home(bus: EventBus, store: Store | None = None) -> tuple[DeviceRegistry, EchoAdapter]:
    registry = DeviceRegistry(bus, store, offline_grace=0, confirm_timeout=0.2)
    power = Feature("power", FeatureKind.SWITCH, writable=True)
    level = Feature("brightness", FeatureKind.NUMBER, minimum=1, maximum=100, step=1,
                    writable=True)  # fmt: skip
    toggle = Feature("toggle", FeatureKind.ACTION, readable=False, writable=True)
    lamp_features = {"power": power, "brightness": level, "toggle": toggle}
    button_features = {"action": Feature("action", FeatureKind.EVENT)}
    thermo_features = {"temperature": Feature("temperature", FeatureKind.SENSOR)}
    zigbee = Protocol.ZIGBEE2MQTT
    registry.add(Device("lamp", "Lamp", "test.lamp", Protocol.MIIO, features=lamp_features))
    registry.add(Device("button", "Button", "test.button", zigbee, features=button_features))
    registry.add(Device("thermo", "Thermo", "test.thermo", zigbee, features=thermo_features))
    plug_features = {"state": Feature("state", FeatureKind.SWITCH, writable=True)}
    registry.add(Device("plug", "Plug", "test.plug", zigbee, features=plug_features))
    registry.update("lamp", {"power": False, "brightness": 50})
    registry.update("thermo", {"temperature": 20.0})
    registry.update("plug", {"state": False})
    adapter = EchoAdapter(registry)
    registry.adapters[Protocol.MIIO] = adapter
    registry.adapters[Protocol.ZIGBEE2MQTT] = adapter
    return registry, adapter


@dataclass
class Life:
    """One run of the hub's automation side on a store file: what a restart test needs."""

    engine: AutomationEngine
    registry: DeviceRegistry
    store: Store


@contextlib.asynccontextmanager
async def hub_life(
    path: Path,
    flush_interval: float = 1.0,
    reported: Mapping[str, Mapping[str, Value]] | None = None,
) -> AsyncIterator[Life]:
    """Open the store, build the home, start the engine; stop all of it on exit, as a hub
    restart does. ``reported``: values the devices report before the engine starts."""
    async with Store(path, flush_interval=flush_interval) as store:
        bus = EventBus()
        registry, _ = build_home(bus, store)
        for device, values in (reported or {}).items():
            registry.update(device, values)
        engine = AutomationEngine(registry, bus, store)
        await engine.start()
        try:
            yield Life(engine, registry, store)
        finally:
            await engine.stop()
            registry.close()


class Published:
    """The engine's MQTT publish callable, recording what it was asked to send."""

    def __init__(self, bus: EventBus | None = None) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.bus = bus

    async def __call__(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        self.messages.append((topic, payload))
        if self.bus is not None:
            self.bus.publish(MqttMessage(topic, payload))
