"""The hub as a whole: it starts, onboards configured devices, and remembers them."""

from __future__ import annotations

import logging
from pathlib import Path

import aiohttp
import pytest

from firmware_sim.fleet import DeviceConfig, Fleet
from firmware_sim.mqtt import MqttSimulation
from hub.app import Hub
from hub.config import Config
from hub.devices.model import Availability, CommandStatus
from tests.loopback import free_hosts
from tests.mqtt_broker import MosquittoBroker, mosquitto, until

__all__ = ["mosquitto"]  # the fixture


def config_for(fleet: Fleet, data_dir: Path) -> Config:
    return Config.model_validate(
        {
            "hub": {"data_dir": str(data_dir)},
            "api": {"port": 0},
            "miio": {
                "bind": "127.0.0.1",
                "timeout": 0.3,
                "devices": [
                    {"host": d.host, "token": d.token, "name": f"Lamp {i}", "room": "Study"}
                    for i, d in enumerate(fleet.devices)
                ],
            },
        }
    )


async def test_a_restarted_hub_lists_every_device_at_once(tmp_path: Path) -> None:
    configs = [DeviceConfig("yeelink.light.color2", host) for host in free_hosts(3)]
    async with Fleet(configs) as fleet:
        config = config_for(fleet, tmp_path)
        async with Hub(config) as hub:
            await until(lambda: len(hub.miio.online()) == 3)
            assert {d.name for d in hub.registry.devices.values()} == {"Lamp 0", "Lamp 1", "Lamp 2"}
            token = await hub.auth.issue("test", ["read"])
            async with (
                aiohttp.ClientSession() as http,
                http.get(
                    f"{hub.api_url}api/devices", headers={"Authorization": f"Bearer {token}"}
                ) as response,
            ):
                listed = await response.json()
            assert len(listed["devices"]) == 3
        for sim in fleet.devices:
            sim.faults.offline = True
        async with Hub(config) as hub:
            devices = list(hub.registry.devices.values())
            assert len(devices) == 3
            assert all(d.room == "Study" for d in devices)
            assert all(d.state["power"].stale for d in devices)
            assert all(d.availability is Availability.UNKNOWN for d in devices)


async def test_the_hub_brings_in_zigbee2mqtt_and_ha_discovery_devices(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    config = Config.model_validate(
        {
            "hub": {"id": "t1", "data_dir": str(tmp_path)},
            "api": {"port": 0},
            "mqtt": {"url": mosquitto.url},
        }
    )
    async with MqttSimulation(mosquitto.url) as simulation, Hub(config) as hub:
        await until(lambda: "zigbee-0x00158d0000000005" in hub.registry.devices, 5)
        await until(lambda: any(d.startswith("mqtt-") for d in hub.registry.devices), 5)
        plug = hub.registry.get("zigbee-0x00158d0000000005")
        result = await hub.registry.command(plug.id, "state", True)
        assert result.status is CommandStatus.CONFIRMED
        assert simulation.bridge.devices["plug_1"].state["state"] == "ON"


async def test_a_device_still_unseen_after_start_is_warned_of_once_onboarding_had_its_time(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    configs = [DeviceConfig("yeelink.light.color2", host) for host in free_hosts(1)]
    async with Fleet(configs) as fleet:
        config = config_for(fleet, tmp_path)
        lamp = f"miio-{fleet.devices[0].did}"
        config = Config.model_validate(
            config.model_dump(mode="json")
            | {"scenes": [{"id": "movie", "name": "Movie", "targets": [
                {"device": lamp, "feature": "power", "value": True},
                {"device": "Attic/Toaster", "feature": "power", "value": True}]}]}
        )  # fmt: skip
        caplog.set_level(logging.INFO, "hub")
        hub = Hub(config)
        hub.recheck_after = 0.5
        async with hub:
            await until(lambda: "s after start" in caplog.text, 10)
    at_start = [r for r in caplog.records if "(not seen yet)" in r.getMessage()]
    assert {r.levelno for r in at_start} == {logging.INFO}  # both unseen at load: said quietly
    late = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    # the lamp came online in the meantime; the toaster never did
    assert late == [
        "scene movie: targets.1.device: no device 'Attic/Toaster', still not seen 0.5 s after start"
    ]
