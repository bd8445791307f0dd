"""The demo lives: with nobody touching it, its automations fire, and every device has a name
and a room (issue 11.10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware_sim.scenario import day_humidity, day_temperature
from hub.demo import HOME, demo_home
from hub.demo_life import MQTT_HOME
from tests.loopback import free_hosts
from tests.mqtt_broker import until

SPEED = 600  # ten scenario minutes a second: every habit happens within a second or two


async def test_the_demo_fires_its_automations_by_itself(tmp_path: Path) -> None:
    async with demo_home(tmp_path, 0, free_hosts(len(HOME))[0], speed=SPEED) as home:
        engine = home.hub.engine
        assert engine is not None
        automations = ["dirty-air", "night-motion", "button-hall"]
        await until(lambda: all(engine.traces(a) for a in automations), 30)
        # dirty air: the living room purifier runs at favourite level 12, as the alias says
        purifier = home.hub.registry.get(f"miio-{home.fleet.devices[0].did}")
        await until(lambda: purifier.value("favorite_level") == 12, 10)
        assert purifier.value("mode") == "favorite"


async def test_every_demo_device_has_a_human_name_and_a_room(tmp_path: Path) -> None:
    async with demo_home(tmp_path, 0, free_hosts(len(HOME))[0], speed=0.001) as home:
        registry = home.hub.registry
        expected = len(HOME) + len(MQTT_HOME)
        await until(
            lambda: sum(d.room is not None for d in registry.devices.values()) == expected, 15
        )
        for device in registry.devices.values():
            assert device.room in home.hub.config.rooms, device
            assert device.name not in set(MQTT_HOME) - {"Kitchen lamp"}, device
            assert "_" not in device.name, device


@pytest.mark.parametrize(("hour", "warmer_than"), [(15.0, 5.0), (14.0, 2.0), (16.0, 23.0)])
def test_the_thermometer_follows_the_day(hour: float, warmer_than: float) -> None:
    assert day_temperature(hour) > day_temperature(warmer_than)
    assert day_humidity(hour) < day_humidity(warmer_than)
