"""Zigbee2MQTT devices end to end: the simulated bridge on a real broker, the hub's adapter."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from firmware_sim.mqtt import Zigbee2MqttBridge
from hub.bus import DeviceEvent, DeviceOffline, DeviceOnline, Event, EventBus, StateChanged
from hub.devices.model import Availability, CommandStatus, FeatureKind
from hub.devices.mqtt import ConnectionState, MqttConnection
from hub.devices.mqtt.zigbee2mqtt import Zigbee2MqttAdapter
from hub.devices.registry import DeviceRegistry
from tests.mqtt_broker import MosquittoBroker, until

CLIMATE = "zigbee-0x00158d0000000001"
MOTION = "zigbee-0x00158d0000000002"
DOOR = "zigbee-0x00158d0000000003"
BUTTON = "zigbee-0x00158d0000000004"
PLUG = "zigbee-0x00158d0000000005"


@dataclass
class Home:
    broker: MosquittoBroker
    bus: EventBus
    registry: DeviceRegistry
    connection: MqttConnection
    adapter: Zigbee2MqttAdapter
    bridge: Zigbee2MqttBridge
    events: list[Event]

    def changes(self, device_id: str, feature: str) -> list[object]:
        return [
            e.value
            for e in self.events
            if isinstance(e, StateChanged) and e.device_id == device_id and e.feature == feature
        ]


@pytest.fixture
async def home(mosquitto: MosquittoBroker) -> AsyncIterator[Home]:
    bus = EventBus()
    events: list[Event] = []
    for kind in (StateChanged, DeviceEvent, DeviceOnline, DeviceOffline):
        bus.subscribe(kind, events.append)
    registry = DeviceRegistry(bus, offline_grace=0)
    try:
        async with (
            Zigbee2MqttBridge(mosquitto.host, mosquitto.port) as bridge,
            MqttConnection(mosquitto.url, hub_id="test", bus=bus) as connection,
            Zigbee2MqttAdapter(connection, registry) as adapter,
        ):
            await until(lambda: len(registry.devices) == 5 and registry.get(PLUG).state)
            yield Home(mosquitto, bus, registry, connection, adapter, bridge, events)
    finally:
        registry.close()


async def test_devices_are_discovered_with_their_features(home: Home) -> None:
    climate = home.registry.get(CLIMATE)
    assert (climate.name, climate.model, climate.manufacturer) == (
        "climate_living",
        "WSDCGQ11LM",
        "Aqara",
    )
    temperature = climate.features["temperature"]
    assert (temperature.kind, temperature.unit, temperature.writable) == (
        FeatureKind.SENSOR,
        "°C",
        False,
    )
    assert climate.features["pressure"].unit == "hPa"
    assert climate.features["battery"].maximum == 100
    plug = home.registry.get(PLUG).features
    assert plug["state"].kind is FeatureKind.SWITCH
    assert plug["state"].writable
    assert plug["power"].kind is FeatureKind.SENSOR
    assert plug["power"].unit == "W"
    assert plug["power_outage_memory"].kind is FeatureKind.SWITCH
    button = home.registry.get(BUTTON).features["action"]
    assert button.kind is FeatureKind.EVENT
    assert {"single", "double", "hold", "release"} <= set(button.choices)
    assert home.registry.get(DOOR).features["contact"].kind is FeatureKind.BINARY_SENSOR
    assert home.registry.get(MOTION).features["illuminance"].unit == "lx"
    assert home.registry.get(PLUG).endpoint["friendly_name"] == "plug_1"


async def test_state_flows_into_the_registry(home: Home) -> None:
    climate = home.registry.get(CLIMATE)
    assert climate.value("temperature") == 21.5
    assert climate.value("battery") == 100
    assert climate.availability is Availability.ONLINE
    home.bridge.set_temperature("climate_living", 23.4, humidity=51.0)
    await until(lambda: home.changes(CLIMATE, "temperature")[-1:] == [23.4])
    assert climate.value("humidity") == 51.0
    home.bridge.open_door("door_front")
    await until(lambda: home.registry.get(DOOR).value("contact") is True)  # open = on
    home.bridge.close_door("door_front")
    await until(lambda: home.registry.get(DOOR).value("contact") is False)
    home.bridge.motion("motion_hall", illuminance=300)
    await until(lambda: home.registry.get(MOTION).value("occupancy") is True)
    assert home.registry.get(MOTION).value("illuminance") == 300


async def test_a_button_press_is_an_event_not_a_state(home: Home) -> None:
    for action in ("single", "double", "hold"):
        home.bridge.press("button_1", action)
    await until(lambda: len([e for e in home.events if isinstance(e, DeviceEvent)]) == 3)
    presses = [e for e in home.events if isinstance(e, DeviceEvent)]
    assert [(e.device_id, e.event, e.data) for e in presses] == [
        (BUTTON, "action", {"value": "single"}),
        (BUTTON, "action", {"value": "double"}),
        (BUTTON, "action", {"value": "hold"}),
    ]
    assert "action" not in home.registry.get(BUTTON).state


async def test_availability_flows(home: Home) -> None:
    home.bridge.go_offline("motion_hall")
    await until(lambda: home.registry.get(MOTION).availability is Availability.OFFLINE)
    offline = [e for e in home.events if isinstance(e, DeviceOffline)]
    assert offline[-1].device_id == MOTION
    home.bridge.go_online("motion_hall")
    await until(lambda: home.registry.get(MOTION).availability is Availability.ONLINE)
    # the JSON form of availability is understood too
    await home.connection.publish(
        "zigbee2mqtt/motion_hall/availability", b'{"state":"offline"}', qos=1
    )
    await until(lambda: home.registry.get(MOTION).availability is Availability.OFFLINE)


async def test_a_command_to_the_plug_is_confirmed(home: Home) -> None:
    result = await home.registry.command(PLUG, "state", True)
    assert result.status is CommandStatus.CONFIRMED
    assert home.bridge.state("plug_1")["state"] == "ON"
    assert home.bridge.commands[-1] == ("plug_1", {"state": "ON"})
    await until(lambda: home.registry.get(PLUG).value("power") == 11.3)
    result = await home.registry.command(PLUG, "state", False)
    assert result.status is CommandStatus.CONFIRMED
    assert home.bridge.state("plug_1")["state"] == "OFF"


async def test_malformed_payloads_are_logged_once_and_the_device_keeps_working(
    home: Home, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="hub.devices.mqtt")
    for payload in (b"not json", b"not json either", b"[1, 2]", b'{"temperature": "hot"}') * 2:
        home.bridge.send_raw("climate_living", payload)
    await home.connection.publish("zigbee2mqtt/ghost_device", b'{"x": 1}', qos=1)
    await home.connection.publish("zigbee2mqtt/ghost_device", b'{"x": 2}', qos=1)
    home.bridge.set_temperature("climate_living", 19.0)
    await until(lambda: home.registry.get(CLIMATE).value("temperature") == 19.0)
    messages = [r.getMessage() for r in caplog.records]
    topic = "'zigbee2mqtt/climate_living'"
    assert len([m for m in messages if topic in m and "not JSON" in m]) == 1
    assert len([m for m in messages if topic in m and "not a JSON object" in m]) == 1
    assert len([m for m in messages if topic in m and "wrong value type" in m]) == 1
    assert len([m for m in messages if "'zigbee2mqtt/ghost_device'" in m]) == 1


async def test_unknown_exposes_are_skipped_once_and_the_rest_kept(
    mosquitto: MosquittoBroker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="hub.devices.mqtt")
    exposes = [
        {"type": "numeric", "name": "co2", "property": "co2", "access": 1, "unit": "ppm"},
        {"type": "list", "name": "schedule", "property": "schedule", "access": 3},
        {"type": "hologram", "name": "future"},
        {
            "type": "light",
            "features": [
                {"type": "binary", "property": "state", "access": 7, "value_on": "ON",
                 "value_off": "OFF", "name": "state"},
                {"type": "numeric", "property": "brightness", "access": 7, "value_min": 0,
                 "value_max": 254, "name": "brightness"},
                {"type": "composite", "property": "color", "name": "color_xy", "access": 7,
                 "features": [{"type": "numeric", "property": "x", "name": "x", "access": 7},
                              {"type": "numeric", "property": "y", "name": "y", "access": 7}]},
            ],
        },
    ]  # fmt: skip
    entry = {
        "ieee_address": "0xabc",
        "friendly_name": "odd",
        "type": "Router",
        "definition": {"model": "X1", "vendor": "Acme", "exposes": exposes},
    }
    bus = EventBus()
    registry = DeviceRegistry(bus)
    async with (
        MqttConnection(mosquitto.url, hub_id="t") as connection,
        Zigbee2MqttAdapter(connection, registry, base_topic="z2m") as adapter,
    ):
        for _ in range(2):
            await connection.publish("z2m/bridge/devices", json.dumps([entry]), qos=1)
        payload = b'{"co2": 600, "state": "ON", "brightness": 200, "color": {"x": 0.3, "y": 0.4}}'
        await connection.publish("z2m/odd", payload, qos=1)
        await until(lambda: "zigbee-0xabc" in registry.devices and adapter.warnings.suppressed)
        device = registry.get("zigbee-0xabc")
        await until(lambda: device.value("color_y") == 0.4)
    assert set(device.features) == {"co2", "state", "brightness", "color_x", "color_y"}
    assert device.value("co2") == 600
    assert device.value("state") is True
    assert device.features["brightness"].kind is FeatureKind.NUMBER
    assert device.features["brightness"].maximum == 254
    assert not device.features["color_x"].writable
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == 2
    assert all("'z2m/bridge/devices'" in m for m in skipped)
    assert any("'list'" in m for m in skipped)
    assert any("'hologram'" in m for m in skipped)
    registry.close()


async def test_broker_restart_reconnects_and_states_flow_again(home: Home) -> None:
    await home.broker.kill()
    await until(lambda: home.connection.state is not ConnectionState.CONNECTED)
    await home.broker.start()
    back = home.broker.started_at
    await until(lambda: home.connection.connections == 2, seconds=5)
    reconnect = home.connection.connected_at - back
    print(f"hub back {reconnect * 1000:.0f} ms after the broker")
    await until(lambda: home.bridge.connections == 2, seconds=5)
    home.bridge.set_temperature("climate_living", 25.5)
    await until(lambda: home.registry.get(CLIMATE).value("temperature") == 25.5, seconds=5)
    result = await home.registry.command(PLUG, "state", True)
    assert result.status is CommandStatus.CONFIRMED
    assert home.registry.get(PLUG).availability is Availability.ONLINE


async def test_bridge_going_offline_takes_its_devices_offline(home: Home) -> None:
    await home.connection.publish("zigbee2mqtt/bridge/state", b'{"state":"offline"}', qos=1)
    await until(lambda: home.registry.get(CLIMATE).availability is Availability.OFFLINE)
    assert home.registry.get(PLUG).availability is Availability.OFFLINE
