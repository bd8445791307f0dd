"""The demo's life: the simulated home acts by itself, and its MQTT devices get names and rooms.

:class:`firmware_sim.scenario.HouseLife` plays the home (the day's temperature, cooking that
dirties the air, motion, the button, the door) on the demo's simulators, so the demo's
automations fire within a minute of starting. The Zigbee2MQTT devices arrive with the raw
friendly names their bridge gives them (``climate_living``); the demo names them and puts them
in rooms as a user would in the app, once, when each appears.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from firmware_sim.fleet import Fleet
from firmware_sim.mqtt import MqttSimulation
from firmware_sim.scenario import HouseLife
from hub.bus import DeviceAdded
from hub.devices.registry import DeviceRegistry

MQTT_HOME: dict[str, tuple[str, str]] = {
    "climate_living": ("Living room climate", "Living room"),
    "motion_hall": ("Hall motion sensor", "Hall"),
    "door_front": ("Front door", "Hall"),
    "button_1": ("Hall button", "Hall"),
    "plug_1": ("Coffee machine plug", "Kitchen"),
    "Kitchen lamp": ("Kitchen lamp", "Kitchen"),  # the Home Assistant discovery lamp
}
"""The bridge's name for a device -> the name and room the demo gives it."""


def name_demo_device(registry: DeviceRegistry, device_id: str) -> None:
    """Name a just-added MQTT device of the demo and put it in its room (once: a device the
    user already placed in a room keeps what the user chose)."""
    device = registry.devices.get(device_id)
    if device is None or device.room is not None or device.name not in MQTT_HOME:
        return
    name, room = MQTT_HOME[device.name]
    registry.rename_nowait(device_id, name, room)


@contextlib.asynccontextmanager
async def demo_life(
    registry: DeviceRegistry, fleet: Fleet, zigbee: MqttSimulation | None, speed: float = 1.0
) -> AsyncIterator[HouseLife]:
    """Name the MQTT devices as they appear, and let the home live until the block ends."""
    unsubscribe = registry.bus.subscribe(
        DeviceAdded, lambda event: name_demo_device(registry, event.device_id)
    )
    try:
        for device_id in list(registry.devices):
            name_demo_device(registry, device_id)
        async with HouseLife(fleet, zigbee.bridge if zigbee else None, speed=speed) as life:
            yield life
    finally:
        unsubscribe()
