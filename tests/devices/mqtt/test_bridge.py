"""The hub's own devices on MQTT: a real hub, simulated miIO devices, a private Mosquitto, and
an MQTT client in the role of Home Assistant or Node-RED."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from firmware_sim.fleet import DeviceConfig, Fleet
from firmware_sim.miio.device import SimulatedDevice
from firmware_sim.mqtt import MqttSimulation
from hub.app import Hub
from hub.config import Config
from hub.devices.model import Protocol
from hub.devices.mqtt.connection import MqttConnection
from tests.loopback import free_hosts
from tests.mqtt_broker import MosquittoBroker, until

HUB = "flat1"
BASE = f"mihub/{HUB}"

COMMON = {"name", "unique_id", "device", "origin", "availability", "availability_mode",
          "entity_category", "state_topic", "value_template"}  # fmt: skip
DOCUMENTED = {
    "fan": {"state_value_template", "command_topic", "command_template",
            "preset_mode_state_topic", "preset_mode_value_template",
            "preset_mode_command_topic", "preset_mode_command_template", "preset_modes"},
    "light": {"state_value_template", "command_topic", "payload_on", "payload_off",
              "brightness_state_topic", "brightness_value_template", "brightness_command_topic",
              "brightness_command_template", "brightness_scale", "color_temp_kelvin",
              "color_temp_state_topic", "color_temp_value_template", "color_temp_command_topic",
              "color_temp_command_template", "min_kelvin", "max_kelvin", "rgb_state_topic",
              "rgb_value_template", "rgb_command_topic", "rgb_command_template"},
    "switch": {"command_topic", "payload_on", "payload_off", "state_on", "state_off"},
    "binary_sensor": {"payload_on", "payload_off", "device_class"},
    "number": {"command_topic", "command_template", "min", "max", "step", "mode",
               "unit_of_measurement"},
    "select": {"command_topic", "command_template", "options"},
    "text": {"command_topic", "command_template"},
    "sensor": {"unit_of_measurement", "device_class", "state_class", "options"},
    "button": {"command_topic", "payload_press"},
    "event": {"event_types"},
    "camera": {"topic", "image_encoding"},
}  # fmt: skip
"""Keys per component as Home Assistant's MQTT integration pages document them."""
REQUIRED = {"fan": {"command_topic"}, "light": {"command_topic"}, "switch": {"command_topic"},
            "number": {"command_topic"}, "select": {"command_topic", "options"},
            "text": {"command_topic"}, "binary_sensor": {"state_topic"},
            "sensor": {"state_topic"}, "button": {"command_topic"},
            "event": {"state_topic", "event_types"}, "camera": {"topic"}}  # fmt: skip


@dataclass
class Observer:
    """Every message seen under the hub's prefix and the discovery prefix."""

    connection: MqttConnection
    seen: dict[str, tuple[bytes, bool]] = field(default_factory=dict)
    results: list[dict[str, Any]] = field(default_factory=list)

    def on_message(self, topic: str, payload: bytes, retain: bool) -> None:
        self.seen[topic] = (payload, retain)
        if topic.endswith("/result"):
            self.results.append(json.loads(payload))

    def json(self, topic: str) -> Any:
        return json.loads(self.seen[topic][0])

    def configs(self, device_id: str) -> dict[str, dict[str, Any]]:
        node = f"/{HUB}_{device_id}/"
        return {t: json.loads(p) for t, (p, _) in self.seen.items() if node in t and p}

    async def answer(self, topic: str, body: bytes | dict[str, Any]) -> dict[str, Any]:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        count = len(self.results)
        await self.connection.publish(topic, payload, qos=1)
        await until(lambda: len(self.results) > count, 8)
        return self.results[count]


@dataclass
class Home:
    hub: Hub
    purifier: SimulatedDevice
    bulb: SimulatedDevice
    broker: MosquittoBroker

    @property
    def ids(self) -> tuple[str, str]:
        return f"miio-{self.purifier.did}", f"miio-{self.bulb.did}"


def hub_config(fleet: Fleet, broker: MosquittoBroker, data_dir: Path, export: Any) -> Config:
    return Config.model_validate({
        "hub": {"id": HUB, "data_dir": str(data_dir)},
        "api": {"port": 0},
        "miio": {"bind": "127.0.0.1", "timeout": 0.5,
                 "devices": [{"host": d.host, "token": d.token} for d in fleet.devices]},
        "mqtt": {"url": broker.url, "export": {"devices": export, "coalesce": 0.02}},
    })  # fmt: skip


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    hosts = free_hosts(2)
    configs = [DeviceConfig("zhimi.airpurifier.mb3", hosts[0]),
               DeviceConfig("yeelink.light.color2", hosts[1])]  # fmt: skip
    async with Fleet(configs) as fleet:
        yield fleet


@pytest.fixture
async def home(fleet: Fleet, mosquitto: MosquittoBroker, tmp_path: Path) -> AsyncIterator[Home]:
    async with (
        MqttSimulation(mosquitto.url),
        Hub(hub_config(fleet, mosquitto, tmp_path, "all")) as hub,
    ):
        await until(lambda: len(hub.miio.online()) == 2, 5)
        await until(lambda: any(d.protocol is Protocol.ZIGBEE2MQTT for d in hub.registry.devices.values()), 5)  # fmt: skip
        yield Home(hub, *fleet.devices, mosquitto)


async def observe(broker: MosquittoBroker, *filters: str) -> AsyncIterator[Observer]:
    async with MqttConnection(broker.url, hub_id="observer", prefix="test/observer") as client:
        observer = Observer(client)
        for topic_filter in filters or (f"{BASE}/#", "homeassistant/#"):
            client.subscribe(topic_filter, observer.on_message)
        yield observer


@pytest.fixture
async def observer(home: Home) -> AsyncIterator[Observer]:
    async for observer in observe(home.broker):
        yield observer


def seen(observer: Observer, topic: str) -> Callable[[], bool]:
    return lambda: topic in observer.seen


async def test_state_availability_and_discovery_are_retained(
    home: Home, observer: Observer
) -> None:
    purifier, bulb = home.ids
    await until(seen(observer, f"{BASE}/{purifier}"), 5)
    await until(lambda: len(observer.configs(bulb)) >= 4, 5)
    # (a message is flagged retained only to a client that subscribes after it: see below)
    await until(lambda: observer.seen.get(f"{BASE}/status", (b"",))[0] == b"online", 5)
    await until(
        lambda: observer.seen.get(f"{BASE}/{purifier}/availability", (b"",))[0] == b"online", 5
    )
    # the first state may precede the first read (null values); it follows the device's
    await until(
        lambda: observer.json(f"{BASE}/{purifier}")["power"] is home.purifier.feature("power"), 5
    )
    await until(
        lambda: observer.json(f"{BASE}/{purifier}")["pm25"] == home.purifier.feature("pm25"), 5
    )

    # a client that comes later gets state and availability from the broker: they are retained
    retained = (f"{BASE}/{purifier}", f"{BASE}/{purifier}/availability", f"{BASE}/status")
    async with MqttConnection(home.broker.url, hub_id="late", prefix="test/late") as client:
        late = Observer(client)
        for topic in retained:
            client.subscribe(topic, late.on_message)
        await until(lambda: all(topic in late.seen for topic in retained), 5)
        assert all(late.seen[topic][1] is True for topic in retained), late.seen
        assert late.seen[f"{BASE}/status"][0] == b"online"
        assert late.seen[f"{BASE}/{purifier}/availability"][0] == b"online"

    fan = observer.json(f"homeassistant/fan/{HUB}_{purifier}/fan/config")
    assert fan["preset_modes"] == ["auto", "sleep", "favorite", "none"]
    assert fan["device"]["via_device"] == f"mihub_{HUB}"
    assert fan["availability"] == [{"topic": f"{BASE}/status"},
                                   {"topic": f"{BASE}/{purifier}/availability"}]  # fmt: skip
    pm25 = observer.json(f"homeassistant/sensor/{HUB}_{purifier}/pm25/config")
    assert (pm25["device_class"], pm25["unit_of_measurement"], pm25["state_class"]) == (
        "pm25", "µg/m³", "measurement")  # fmt: skip
    light = observer.json(f"homeassistant/light/{HUB}_{bulb}/light/config")
    assert light["brightness_scale"] == 100
    assert (light["min_kelvin"], light["max_kelvin"]) == (2700, 6500)
    assert "rgb_command_template" in light
    button = observer.json(f"homeassistant/button/{HUB}_{bulb}/toggle/config")
    assert json.loads(button["payload_press"]) == {"action": "toggle"}

    for device_id in home.ids:
        configs = observer.configs(device_id)
        assert len({c["device"]["identifiers"][0] for c in configs.values()}) == 1
        for topic, config in configs.items():
            component = topic.split("/")[1]
            assert set(config) <= COMMON | DOCUMENTED[component], topic
            assert REQUIRED[component] <= set(config), topic
    configs = [t for device_id in home.ids for t in observer.configs(device_id)]
    async for late in observe(home.broker, "homeassistant/#"):  # retained: a late client gets them
        await until(lambda seen=late.seen: all(topic in seen for topic in configs), 5)
        assert all(late.seen[topic][1] is True for topic in configs)
    # Imported devices are neither exported nor imported again from our own configs.
    zigbee = [d for d in home.hub.registry.devices if d.startswith("zigbee-")]
    assert zigbee
    assert not any(z in topic for z in zigbee for topic in observer.seen)
    assert not any(HUB in d for d in home.hub.registry.devices)


async def test_set_runs_several_features_and_answers(home: Home, observer: Observer) -> None:
    purifier, bulb = home.ids
    await until(seen(observer, f"{BASE}/{purifier}"), 5)
    answer = await observer.answer(f"{BASE}/{purifier}/set", {"power": True, "mode": "sleep"})
    assert answer["device"] == purifier
    assert {r["status"] for r in answer["results"].values()} <= {"confirmed", "acknowledged"}
    assert home.purifier.feature("power") is True
    await until(lambda: observer.json(f"{BASE}/{purifier}")["mode"] == "sleep", 5)
    assert observer.json(f"{BASE}/{purifier}")["power"] is True

    answer = await observer.answer(f"{BASE}/{bulb}/set", {"power": True, "brightness": 40})
    assert set(answer["results"]) == {"power", "brightness"}
    assert home.bulb.feature("power") is True
    assert home.bulb.feature("brightness") == 40
    answer = await observer.answer(f"{BASE}/{bulb}/action", {"action": "toggle"})
    assert answer["status"] == "acknowledged"
    await until(lambda: home.bulb.feature("power") is False, 5)


async def test_a_bad_command_gets_an_error_and_breaks_nothing(
    home: Home, observer: Observer
) -> None:
    purifier, _ = home.ids
    topic = f"{BASE}/{purifier}/set"
    answer = await observer.answer(topic, b"power on")
    assert "not JSON" in answer["error"]
    answer = await observer.answer(topic, b"[1, 2]")
    assert "JSON object" in answer["error"]
    answer = await observer.answer(topic, {"power": "yes", "warp": 9})
    assert "true or false" in answer["results"]["power"]["error"]
    assert "has no feature 'warp'" in answer["results"]["warp"]["error"]
    answer = await observer.answer(f"{BASE}/{purifier}/action", {"action": "fly"})
    assert answer["status"] == "failed"
    answer = await observer.answer(f"{BASE}/miio-0/set", {"power": True})
    assert "no exported device 'miio-0'" in answer["error"]
    answer = await observer.answer(topic, {"power": True})
    assert answer["results"]["power"]["status"] in {"confirmed", "acknowledged"}


async def test_a_removed_device_is_withdrawn(home: Home, observer: Observer) -> None:
    _, bulb = home.ids
    await until(lambda: len(observer.configs(bulb)) >= 4, 5)
    await home.hub.registry.delete(bulb)
    await until(lambda: not observer.configs(bulb), 5)
    async for fresh in observe(home.broker):
        await until(seen(fresh, f"{BASE}/status"), 5)
        assert not fresh.configs(bulb)
        assert f"{BASE}/{bulb}" not in fresh.seen


async def test_a_device_no_longer_exported_is_cleared_after_a_restart(
    fleet: Fleet, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    purifier, bulb = (f"miio-{d.did}" for d in fleet.devices)
    async with Hub(hub_config(fleet, mosquitto, tmp_path, "all")) as hub:
        await until(lambda: len(hub.miio.online()) == 2, 5)
    async with Hub(hub_config(fleet, mosquitto, tmp_path, [purifier])):
        async for observer in observe(mosquitto):
            await until(only_the_purifier(observer, purifier, bulb), 5)
            for topic in (f"{BASE}/{bulb}", f"{BASE}/{bulb}/availability"):
                assert observer.seen.get(topic, (b"",))[0] == b""


def only_the_purifier(observer: Observer, purifier: str, bulb: str) -> Callable[[], bool]:
    return lambda: bool(observer.configs(purifier)) and not observer.configs(bulb)


async def test_an_answer_carries_the_commands_transaction(home: Home, observer: Observer) -> None:
    """MQTT 3.1.1 has no response topic or correlation data: a sender matches its answer on
    ``/result`` by the ``transaction`` it put in the command."""
    purifier, bulb = home.ids
    await until(seen(observer, f"{BASE}/{purifier}"), 5)
    answer = await observer.answer(f"{BASE}/{bulb}/set", {"power": True, "transaction": "t-1"})
    assert (answer["transaction"], set(answer["results"])) == ("t-1", {"power"})
    answer = await observer.answer(f"{BASE}/{bulb}/action", {"action": "toggle", "transaction": 7})
    assert (answer["transaction"], answer["status"]) == (7, "acknowledged")
    answer = await observer.answer(f"{BASE}/{bulb}/set", {"transaction": "t-2"})
    assert answer["transaction"] == "t-2"
    assert "names no feature" in answer["error"]
    answer = await observer.answer(f"{BASE}/{bulb}/set", {"power": True, "transaction": [1]})
    assert "must be text or a number" in answer["error"]
    answer = await observer.answer(f"{BASE}/miio-0/set", {"power": True, "transaction": "t-3"})
    assert answer["transaction"] == "t-3"


async def test_a_renamed_device_is_published_again(home: Home, observer: Observer) -> None:
    _, bulb = home.ids
    light = f"homeassistant/light/{HUB}_{bulb}/light/config"
    await until(seen(observer, light), 5)
    await home.hub.registry.rename(bulb, "Desk lamp", "Study")
    await until(lambda: observer.json(light)["device"]["name"] == "Desk lamp", 5)
    assert observer.json(light)["device"]["suggested_area"] == "Study"
    description = observer.json(f"{BASE}/{bulb}/config")
    assert (description["name"], description["room"]) == ("Desk lamp", "Study")
    features = home.hub.registry.devices[bulb].features.values()
    assert description["features"] == [f.as_dict() for f in features]


async def test_a_camera_with_a_picture_url_is_a_camera_with_an_image_topic(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    (host,) = free_hosts(1)
    async with Fleet([DeviceConfig("chuangmi.camera.ipc019", host, snapshot_port=0)]) as fleet:
        (entry,) = fleet.manifest()
        camera = f"miio-{entry['did']}"
        config = Config.model_validate({
            "hub": {"id": HUB, "data_dir": str(tmp_path)}, "api": {"port": 0},
            "miio": {"bind": "127.0.0.1", "timeout": 0.5, "devices": [
                {"host": host, "token": entry["token"], "snapshot_url": entry["snapshot_url"]}]},
            "mqtt": {"url": mosquitto.url, "export": {"images": 1}},
        })  # fmt: skip
        async with Hub(config) as hub:
            async for observer in observe(mosquitto):
                topic = f"homeassistant/camera/{HUB}_{camera}/snapshot/config"
                await until(seen(observer, topic), 10)
                image = observer.json(topic)["topic"]
                assert image == f"{BASE}/{camera}/image/snapshot"
                for config_topic, body in observer.configs(camera).items():
                    component = config_topic.split("/")[1]
                    assert set(body) <= COMMON | DOCUMENTED[component], config_topic
                    assert REQUIRED[component] <= set(body), config_topic
                await until(seen(observer, image), 10)
                assert observer.seen[image][0].startswith(b"\xff\xd8")
                assert hub.registry.devices[camera].endpoint["snapshot_url"]
            async for late in observe(mosquitto, image):  # retained: a late client gets it
                await until(seen(late, image), 5)
                picture, retained = late.seen[image]
                assert picture.startswith(b"\xff\xd8")
                assert retained
