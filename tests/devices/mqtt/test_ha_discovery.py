"""Home Assistant MQTT discovery: configs with abbreviations and ``~``, state, commands, removal."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from firmware_sim.mqtt import HaDiscoveryLamp
from hub.bus import DeviceRemoved, EventBus
from hub.devices.model import Availability, CommandStatus, FeatureCategory, FeatureKind
from hub.devices.mqtt import MqttConnection
from hub.devices.mqtt.ha_config import ConfigProblem, expand, parse_entity, template_path
from hub.devices.mqtt.ha_discovery import HaDiscoveryAdapter
from hub.devices.registry import DeviceRegistry
from tests.mqtt_broker import MosquittoBroker, until

LAMP = "mqtt-simlamp-sim_lamp"


@dataclass
class Setup:
    registry: DeviceRegistry
    connection: MqttConnection
    adapter: HaDiscoveryAdapter
    removed: list[DeviceRemoved]


@pytest.fixture
async def hub(mosquitto: MosquittoBroker) -> AsyncIterator[Setup]:
    bus = EventBus()
    removed: list[DeviceRemoved] = []
    bus.subscribe(DeviceRemoved, removed.append)
    registry = DeviceRegistry(bus, offline_grace=0)
    async with (
        MqttConnection(mosquitto.url, hub_id="test", bus=bus) as connection,
        HaDiscoveryAdapter(connection, registry) as adapter,
    ):
        yield Setup(registry, connection, adapter, removed)
    registry.close()


async def test_the_lamp_is_discovered_and_obeys(hub: Setup, mosquitto: MosquittoBroker) -> None:
    async with HaDiscoveryLamp(mosquitto.host, mosquitto.port) as lamp:
        await until(lambda: LAMP in hub.registry.devices)
        device = hub.registry.get(LAMP)
        await until(lambda: device.value("temperature") == 34.5)
        assert (device.name, device.model, device.manufacturer) == (
            "Kitchen lamp",
            "SL-1",
            "mihub simulator",
        )
        assert device.features["light"].kind is FeatureKind.SWITCH
        assert device.features["light"].writable
        brightness = device.features["light_brightness"]
        assert (brightness.kind, brightness.maximum) == (FeatureKind.NUMBER, 100)
        assert device.features["temperature"].unit == "°C"
        assert device.value("light") is False
        assert device.value("light_brightness") == 80
        assert device.availability is Availability.ONLINE

        result = await hub.registry.command(LAMP, "light", True)
        assert result.status is CommandStatus.CONFIRMED
        assert lamp.on is True
        result = await hub.registry.command(LAMP, "light_brightness", 40)
        assert result.status is CommandStatus.CONFIRMED
        assert lamp.brightness == 40
        lamp.heat(41.5)
        await until(lambda: device.value("temperature") == 41.5)

        lamp.remove()
        await until(lambda: LAMP not in hub.registry.devices)
        assert [e.device_id for e in hub.removed] == [LAMP]


async def test_removing_one_entity_keeps_the_device(hub: Setup) -> None:
    device = {"ids": "bridge-7", "name": "Bridge 7"}
    for object_id in ("relay", "temp"):
        component = "switch" if object_id == "relay" else "sensor"
        config = {"~": "b7", "stat_t": f"~/{object_id}", "dev": device}
        await hub.connection.publish(
            f"homeassistant/{component}/{object_id}/config", json.dumps(config), qos=1
        )
    devices = hub.registry.devices
    await until(lambda: "mqtt-bridge-7" in devices and len(devices["mqtt-bridge-7"].features) == 2)
    await hub.connection.publish("homeassistant/sensor/temp/config", b"", qos=1)
    await until(lambda: set(hub.registry.get("mqtt-bridge-7").features) == {"relay"})
    assert hub.registry.get("mqtt-bridge-7").features["relay"].kind is FeatureKind.BINARY_SENSOR


async def test_json_state_availability_list_and_optimistic_switch(hub: Setup) -> None:
    sensor = {
        "name": "Door",
        "uniq_id": "door-9",
        "stat_t": "house/door9",
        "val_tpl": "{{ value_json.contact }}",
        "pl_on": "open",
        "pl_off": "closed",
        "dev_cla": "door",
        "avty": [{"t": "house/door9/lwt", "pl_avail": "up", "pl_not_avail": "down"}],
    }
    switch = {"name": "Siren", "uniq_id": "siren-1", "cmd_t": "house/siren/cmd"}
    publish = hub.connection.publish
    await publish("homeassistant/binary_sensor/door9/config", json.dumps(sensor), qos=1)
    await publish("homeassistant/switch/siren/config", json.dumps(switch), qos=1)
    await until(lambda: "mqtt-door-9" in hub.registry.devices)
    await publish("house/door9", b'{"contact": "open", "battery": 90}', qos=1)
    await until(lambda: hub.registry.get("mqtt-door-9").value("door9") is True)
    await publish("house/door9/lwt", b"down", qos=1)
    await until(lambda: hub.registry.get("mqtt-door-9").availability is Availability.OFFLINE)
    await until(lambda: "mqtt-siren-1" in hub.registry.devices)
    result = await hub.registry.command("mqtt-siren-1", "siren", True)
    assert result.status is CommandStatus.CONFIRMED  # no state topic: optimistic


async def test_bad_configs_are_logged_once_with_their_topic(
    hub: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="hub.devices.mqtt")
    bad = {
        "homeassistant/sensor/x/config": b"{not json",
        "homeassistant/light/y/config": b'{"stat_t": "a", "val_tpl": "{{ value | upper }}"}',
        "homeassistant/climate/z/config": b'{"stat_t": "a"}',
    }
    for _ in range(2):
        for topic, payload in bad.items():
            await hub.connection.publish(topic, payload, qos=1)
    good = b'{"stat_t": "ok/t", "unit_of_meas": "W"}'
    await hub.connection.publish("homeassistant/sensor/ok/config", good, qos=1)
    await until(lambda: "mqtt-ok" in hub.registry.devices)
    messages = [r.getMessage() for r in caplog.records]
    for topic in bad:
        assert len([m for m in messages if f"'{topic}'" in m]) == 1, topic
    await hub.connection.publish("ok/t", b"12.5", qos=1)
    await until(lambda: hub.registry.get("mqtt-ok").value("ok") == 12.5)


def test_abbreviations_and_the_base_topic_expand() -> None:
    config = expand(
        {
            "~": "tasmota/plug",
            "stat_t": "~/STATE",
            "cmd_t": "cmnd/~",
            "unit_of_meas": "W",
            "avty": [{"t": "~/LWT"}],
            "dev": {"ids": ["a"], "mf": "Itead", "mdl": "S20"},
            "name": "~ not a topic",
        }
    )
    assert config["state_topic"] == "tasmota/plug/STATE"
    assert config["command_topic"] == "cmnd/tasmota/plug"
    assert config["unit_of_measurement"] == "W"
    assert config["availability"] == [{"topic": "tasmota/plug/LWT"}]
    assert config["device"] == {"identifiers": ["a"], "manufacturer": "Itead", "model": "S20"}
    assert config["name"] == "~ not a topic"


def test_only_simple_templates() -> None:
    assert template_path("{{ value_json.temperature }}") == ("temperature",)
    assert template_path("{{value_json.a.b}}") == ("a", "b")
    assert template_path("{{ value_json['x y'] }}") == ("x y",)
    assert template_path("{{ value }}") is None
    assert template_path(None) is None
    with pytest.raises(ConfigProblem, match="unsupported template"):
        template_path("{{ value_json.t | float }}")


def test_a_config_without_device_is_its_own_device() -> None:
    entity = parse_entity(
        "homeassistant/switch/node1/relay/config",
        "switch",
        "node1",
        "relay",
        {"stat_t": "s", "cmd_t": "c", "pl_on": "1", "pl_off": "0"},
    )
    assert entity.device_id == "mqtt-node1_relay"
    assert entity.features[0].kind is FeatureKind.SWITCH
    assert entity.readings[0].on == "1"
    assert entity.commands["relay"].off == "0"


def test_an_entity_category_and_a_battery_class_fold_away() -> None:
    def category(component: str, raw: dict[str, str]) -> FeatureCategory:
        entity = parse_entity(f"homeassistant/{component}/n/x/config", component, "n", "x", raw)
        return entity.features[0].category

    assert category("switch", {"stat_t": "s", "cmd_t": "c"}) is FeatureCategory.PRIMARY
    assert category("sensor", {"stat_t": "s", "dev_cla": "battery"}) is FeatureCategory.DIAGNOSTIC
    assert category("switch", {"stat_t": "s", "ent_cat": "config"}) is FeatureCategory.CONFIG
