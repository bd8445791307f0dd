"""End to end: simulated devices on both protocols, the whole hub, automations from YAML.

Checked by reading the simulators' own state: nothing in between is trusted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from firmware_sim.fleet import DeviceConfig, Fleet
from firmware_sim.mqtt import MqttSimulation
from hub.app import Hub
from hub.config import Config
from tests.loopback import free_hosts
from tests.mqtt_broker import MosquittoBroker, mosquitto, until

__all__ = ["mosquitto"]

BUTTON = "zigbee-0x00158d0000000004"  # button_1 of the simulated Zigbee2MQTT bridge
MOTION = "zigbee-0x00158d0000000002"  # its RTCGQ11LM motion sensor, motion_hall


def a_zone_where_it_is_night() -> str:
    """A real time zone whose local time is between 23:00 and 04:00 right now."""
    now = dt.datetime.now(dt.UTC)
    for offset in range(-12, 15):
        zone = f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"
        hour = now.astimezone(ZoneInfo(zone)).hour
        if hour >= 23 or hour < 4:
            return zone
    raise AssertionError("some time zone is always at night")


@dataclass
class House:
    hub: Hub
    fleet: Fleet
    mqtt: MqttSimulation


@pytest.fixture
async def house(tmp_path: Path, mosquitto: MosquittoBroker) -> AsyncIterator[House]:
    hosts = free_hosts(3)
    configs = [
        DeviceConfig("yeelink.light.color2", hosts[0]),
        DeviceConfig("chuangmi.camera.ipc019", hosts[1], snapshot_port=0),
        DeviceConfig("zhimi.airpurifier.mb3", hosts[2]),
    ]
    async with Fleet(configs) as fleet, MqttSimulation(mosquitto.url) as mqtt:
        light, _camera, purifier = (f"miio-{d.did}" for d in fleet.devices)
        config = Config.model_validate({
            "hub": {"id": "e2e", "data_dir": str(tmp_path),
                    "location": {"latitude": 0, "longitude": 0,
                                 "timezone": a_zone_where_it_is_night()}},
            "miio": {"bind": "127.0.0.1", "timeout": 0.5,
                     "devices": [{"host": d.host, "token": d.token} for d in fleet.devices]},
            "mqtt": {"url": mosquitto.url},
            "api": {"port": 0},
            "automations": [
                {"id": "button-light", "alias": "Button turns on the light",
                 "trigger": [{"platform": "event", "device": BUTTON, "event": "action",
                              "data": {"value": "single"}}],
                 "action": [{"action": "set", "device": light, "feature": "power",
                             "value": True}]},
                {"id": "night-motion", "alias": "Motion at night: purifier to sleep",
                 "trigger": [{"platform": "state", "device": MOTION, "feature": "occupancy",
                              "to": True}],
                 "condition": [{"condition": "time", "after": "22:00", "before": "06:00"}],
                 "action": [{"action": "set", "device": purifier, "feature": "power",
                             "value": True},
                            {"action": "set", "device": purifier, "feature": "mode",
                             "value": "sleep"}]},
            ],
        })  # fmt: skip
        async with Hub(config) as hub:
            await until(lambda: len(hub.miio.online()) == 3, 5)
            await until(lambda: BUTTON in hub.registry.devices, 5)
            await until(lambda: MOTION in hub.registry.devices, 5)
            # The MIoT purifier pushes; the legacy bulb and camera, like real ones, are polled.
            await until(
                lambda: (
                    sorted(c.state for c in hub.miio.connections.values())
                    == ["online, polling", "online, polling", "online, pushing"]
                ),
                5,
            )

            yield House(hub, fleet, mqtt)


async def test_a_zigbee_button_turns_on_a_miio_light(house: House) -> None:
    light = house.fleet.devices[0]
    assert light.get_property("power") == "off"  # legacy firmware's own words
    house.mqtt.bridge.press("button_1", "single")
    await until(lambda: light.get_property("power") == "on", 5)


async def test_motion_at_night_puts_the_purifier_to_sleep(house: House) -> None:
    purifier = house.fleet.devices[2]
    assert purifier.get_property(2, 5) == 0  # auto
    house.mqtt.bridge.motion("motion_hall")
    await until(lambda: purifier.get_property(2, 5) == 1, 5)  # sleep
    assert purifier.get_property(2, 2) is True
    engine = house.hub.engine
    assert engine is not None
    # The device applies the mode before the run hears it confirmed: wait for the run's end.
    trace = await engine.trace("night-motion", engine.traces("night-motion")[0]["id"], wait=5)
    assert trace["result"] == "done"
    assert trace["conditions"][0]["result"] is True
    assert [a["result"] for a in trace["actions"]] == ["confirmed", "confirmed"]
