"""The MQTT simulators on the wire: what a Zigbee2MQTT client and a discovery client see."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from firmware_sim.mqtt import (
    HaDiscoveryLamp,
    MqttSimulation,
    Zigbee2MqttBridge,
    broker_address,
    run_mqtt_bridge,
)
from hub.devices.mqtt import MqttConnection
from tests.mqtt_broker import MosquittoBroker, until

Messages = dict[str, tuple[bytes, bool]]


def recorder(messages: Messages) -> Any:
    def record(topic: str, payload: bytes, retain: bool) -> None:
        messages[topic] = (payload, retain)

    return record


def state(messages: Messages, topic: str) -> dict[str, Any]:
    """The last JSON state seen on ``topic`` ({} before any)."""
    if topic not in messages:
        return {}
    data = json.loads(messages[topic][0])
    assert isinstance(data, dict)
    return data


async def test_bridge_announces_devices_availability_and_state(
    mosquitto: MosquittoBroker,
) -> None:
    live: Messages = {}
    seen: Messages = {}
    async with (
        Zigbee2MqttBridge(mosquitto.host, mosquitto.port),
        MqttConnection(mosquitto.url, hub_id="probe") as probe,
    ):
        probe.subscribe("zigbee2mqtt/#", recorder(live))
        await until(lambda: "zigbee2mqtt/plug_1" in live)  # everything reached the broker
        async with MqttConnection(mosquitto.url, hub_id="late") as late:
            late.subscribe("zigbee2mqtt/#", recorder(seen))  # so all of it comes retained
            await until(lambda: "zigbee2mqtt/plug_1" in seen)
    devices = json.loads(seen["zigbee2mqtt/bridge/devices"][0])
    assert seen["zigbee2mqtt/bridge/devices"][1] is True  # retained
    assert devices[0]["type"] == "Coordinator"
    models = {d["friendly_name"]: d["definition"]["model"] for d in devices[1:]}
    assert models == {
        "climate_living": "WSDCGQ11LM",
        "motion_hall": "RTCGQ11LM",
        "door_front": "MCCGQ11LM",
        "button_1": "WXKG11LM",
        "plug_1": "ZNCZ02LM",
    }
    for device in devices[1:]:
        assert device["ieee_address"].startswith("0x00158d")
        assert {"vendor", "description", "exposes"} <= device["definition"].keys()
        assert seen[f"zigbee2mqtt/{device['friendly_name']}/availability"] == (b"online", True)
    climate = state(seen, "zigbee2mqtt/climate_living")
    assert {"temperature", "humidity", "pressure", "battery", "voltage", "linkquality"} <= set(
        climate
    )
    assert json.loads(seen["zigbee2mqtt/bridge/state"][0]) == {"state": "online"}


async def test_use_cases_publish_what_zigbee2mqtt_would(mosquitto: MosquittoBroker) -> None:
    seen: Messages = {}
    async with (
        Zigbee2MqttBridge(mosquitto.host, mosquitto.port) as bridge,
        MqttConnection(mosquitto.url, hub_id="probe") as probe,
    ):
        probe.subscribe("zigbee2mqtt/#", recorder(seen))
        await until(lambda: "zigbee2mqtt/button_1" in seen)
        bridge.press("button_1", "double")
        await until(lambda: state(seen, "zigbee2mqtt/button_1").get("action") == "double")
        assert seen["zigbee2mqtt/button_1"][1] is False  # a press is never retained
        bridge.open_door("door_front")
        await until(lambda: state(seen, "zigbee2mqtt/door_front").get("contact") is False)
        bridge.motion("motion_hall", illuminance=42)
        await until(lambda: state(seen, "zigbee2mqtt/motion_hall").get("occupancy") is True)
        bridge.set_temperature("climate_living", 18.25)
        await until(lambda: state(seen, "zigbee2mqtt/climate_living").get("temperature") == 18.25)
        bridge.go_offline("plug_1")
        await until(lambda: seen["zigbee2mqtt/plug_1/availability"] == (b"offline", False))


async def test_the_plug_honours_set_unless_offline(mosquitto: MosquittoBroker) -> None:
    seen: Messages = {}
    async with (
        Zigbee2MqttBridge(mosquitto.host, mosquitto.port) as bridge,
        MqttConnection(mosquitto.url, hub_id="probe") as probe,
    ):
        probe.subscribe("zigbee2mqtt/plug_1", recorder(seen))
        await probe.publish("zigbee2mqtt/plug_1/set", b'{"state": "ON"}', qos=1)
        await until(lambda: state(seen, "zigbee2mqtt/plug_1").get("state") == "ON")
        assert state(seen, "zigbee2mqtt/plug_1")["power"] > 0
        await probe.publish("zigbee2mqtt/plug_1/set", b'{"state": "TOGGLE"}', qos=1)
        await until(lambda: bridge.state("plug_1")["state"] == "OFF")
        await probe.publish("zigbee2mqtt/plug_1/set", b"garbage", qos=1)
        bridge.go_offline("plug_1")
        await probe.publish("zigbee2mqtt/plug_1/set", b'{"state": "ON"}', qos=1)
        await asyncio.sleep(0.2)  # absence: the offline plug does not switch
        assert bridge.state("plug_1")["state"] == "OFF"
        assert [c for _, c in bridge.commands] == [{"state": "ON"}, {"state": "TOGGLE"}]


async def test_the_bridge_republishes_after_a_broker_restart(mosquitto: MosquittoBroker) -> None:
    async with Zigbee2MqttBridge(mosquitto.host, mosquitto.port) as bridge:
        await mosquitto.kill()
        await mosquitto.start()  # empty: no persistence
        await until(lambda: bridge.connections == 2, seconds=6)
        seen: Messages = {}
        async with MqttConnection(mosquitto.url, hub_id="probe") as probe:
            probe.subscribe("zigbee2mqtt/bridge/devices", recorder(seen))
            await until(lambda: seen)


async def test_the_discovery_lamp(mosquitto: MosquittoBroker) -> None:
    seen: Messages = {}
    async with (
        HaDiscoveryLamp(mosquitto.host, mosquitto.port) as lamp,
        MqttConnection(mosquitto.url, hub_id="probe") as probe,
    ):
        probe.subscribe("homeassistant/#", recorder(seen))
        probe.subscribe("simlamp/#", recorder(seen))
        await until(lambda: len([t for t in seen if t.endswith("/config")]) == 2)
        light = json.loads(seen[lamp.config_topics["light"]][0])
        assert light["~"] == "simlamp/sim_lamp"
        assert light["cmd_t"] == "~/set"
        assert light["dev"]["ids"] == ["simlamp-sim_lamp"]
        await probe.publish("simlamp/sim_lamp/set", b"ON", qos=1)
        await until(lambda: seen.get("simlamp/sim_lamp/state") == (b"ON", False))
        await probe.publish("simlamp/sim_lamp/brightness/set", b"30", qos=1)
        await until(lambda: lamp.brightness == 30)
        lamp.remove()
        await until(lambda: seen[lamp.config_topics["sensor"]][0] == b"")


async def test_run_mqtt_bridge_until_stopped(
    mosquitto: MosquittoBroker, capsys: pytest.CaptureFixture[str]
) -> None:
    stop = asyncio.Event()
    runner = asyncio.create_task(run_mqtt_bridge(mosquitto.url, stop), name="test-mqtt-sim")
    await until(lambda: "plug_1" in capsys.readouterr().out or runner.done())
    stop.set()
    await runner
    async with MqttSimulation(mosquitto.url) as simulation:
        assert len(simulation.describe()) == 6


def test_broker_address() -> None:
    assert broker_address("mqtt://127.0.0.1:1884") == ("127.0.0.1", 1884)
    assert broker_address("127.0.0.1") == ("127.0.0.1", 1883)
    with pytest.raises(ValueError, match="mqtt://"):
        broker_address("http://x")
