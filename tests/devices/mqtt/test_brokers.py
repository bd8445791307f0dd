"""The hub's MQTT on two broker implementations, Mosquitto and NATS (its MQTT support): the
hub's birth and will, retained state for a late subscriber, a QoS 1 command reaching a
simulated device, a persistent session, and reconnecting after the broker restarts.

What NATS 2.9 does not do (QoS 2, among others) is listed in README's "Brokers" section.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from firmware_sim.fleet import DeviceConfig, Fleet
from firmware_sim.miio.device import SimulatedDevice
from hub.app import Hub
from hub.config import Config
from hub.devices.mqtt.connection import ConnectionState, MqttConnection
from hub.errors import DeviceError
from tests.hub_process import HubProcess
from tests.loopback import free_hosts
from tests.mqtt_broker import BrokerProcess, mqtt_broker, until

__all__ = ["mqtt_broker"]  # the fixture

KINDS = pytest.mark.parametrize("mqtt_broker", ["mosquitto", "nats"], indirect=True)
HUB = "flat2"
BASE = f"mihub/{HUB}"


@dataclass
class Home:
    hub: Hub
    bulb: SimulatedDevice
    broker: BrokerProcess

    @property
    def bulb_id(self) -> str:
        return f"miio-{self.bulb.did}"


@pytest.fixture
async def home(mqtt_broker: BrokerProcess, tmp_path: Path) -> AsyncIterator[Home]:
    async with Fleet([DeviceConfig("yeelink.light.color2", free_hosts(1)[0])]) as fleet:
        bulb = fleet.devices[0]
        config = Config.model_validate({
            "hub": {"id": HUB, "data_dir": str(tmp_path)},
            "api": {"port": 0},
            "miio": {"bind": "127.0.0.1", "timeout": 0.5,
                     "devices": [{"host": bulb.host, "token": bulb.token}]},
            "mqtt": {"url": mqtt_broker.url, "export": {"coalesce": 0.02},
                     "zigbee2mqtt": {"enabled": False}, "homeassistant": {"enabled": False}},
            "history": {"enabled": False},
        })  # fmt: skip
        async with Hub(config) as hub:
            await until(lambda: len(hub.miio.online()) == 1, 5)
            yield Home(hub, bulb, mqtt_broker)


@contextlib.asynccontextmanager
async def listening(
    broker: BrokerProcess, name: str, topic_filter: str
) -> AsyncIterator[dict[str, tuple[bytes, bool]]]:
    """Per topic, the last message, and whether the first one came retained: what the broker
    kept when this client subscribed (later live messages come with the flag off)."""
    seen: dict[str, tuple[bytes, bool]] = {}
    async with MqttConnection(broker.url, hub_id=name, prefix=f"test/{name}") as client:
        async with asyncio.timeout(10):
            await client.wait_connected()

        def on_message(topic: str, payload: bytes, retain: bool) -> None:
            seen[topic] = (payload, seen[topic][1] if topic in seen else retain)

        client.subscribe(topic_filter, on_message)
        yield seen


async def command(broker: BrokerProcess, topic: str, body: dict[str, object]) -> None:
    """Publish at QoS 1: returns once the broker acknowledged (PUBACK)."""
    async with MqttConnection(broker.url, hub_id="phone", prefix="test/phone") as phone:
        async with asyncio.timeout(10):
            await phone.wait_connected()
        await phone.publish(topic, json.dumps(body).encode(), qos=1)


@KINDS
async def test_birth_then_the_will_when_the_hub_dies(
    mqtt_broker: BrokerProcess, tmp_path: Path
) -> None:
    hub = HubProcess(tmp_path, extra_config=f"mqtt:\n  url: {mqtt_broker.url}\n")
    async with listening(mqtt_broker, "watcher", "mihub/home/status") as seen:
        try:
            await hub.start()
            await until(lambda: seen.get("mihub/home/status", (b"",))[0] == b"online", 10)
            hub.kill()  # SIGKILL: no goodbye, the broker publishes the will
            await until(lambda: seen["mihub/home/status"][0] == b"offline", 10)
        finally:
            await hub.stop()
    async with listening(mqtt_broker, "late", "mihub/home/status") as late:
        await until(lambda: "mihub/home/status" in late, 5)
        assert late["mihub/home/status"] == (b"offline", True)  # the will is retained


@KINDS
async def test_a_late_subscriber_gets_the_retained_state_and_a_qos1_set_reaches_the_device(
    home: Home,
) -> None:
    state = f"{BASE}/{home.bulb_id}"
    async with listening(home.broker, "early", f"{BASE}/#") as early:
        await until(lambda: state in early, 5)
    async with listening(home.broker, "late", f"{BASE}/#") as late:
        availability = f"{BASE}/{home.bulb_id}/availability"
        await until(lambda: all(t in late for t in (state, f"{BASE}/status", availability)), 5)
        assert late[state][1] is True
        assert late[f"{BASE}/status"] == (b"online", True)
        assert late[f"{BASE}/{home.bulb_id}/availability"] == (b"online", True)
        power = not home.bulb.feature("power")
        await command(home.broker, f"{state}/set", {"power": power, "brightness": 30})
        await until(lambda: home.bulb.feature("power") is power, 5)
        await until(lambda: home.bulb.feature("brightness") == 30, 5)
        await until(lambda: json.loads(late[state][0])["brightness"] == 30, 5)


@KINDS
async def test_after_the_broker_restarts_the_hub_is_back_and_takes_commands(home: Home) -> None:
    mqtt = home.hub.mqtt
    assert mqtt is not None
    assert mqtt.connections == 1
    await home.broker.stop()
    await until(lambda: mqtt.state is not ConnectionState.CONNECTED, 5)
    await home.broker.start()
    await until(lambda: mqtt.connections == 2 and mqtt.state is ConnectionState.CONNECTED, 10)
    async with listening(home.broker, "after", f"{BASE}/status") as seen:
        await until(lambda: seen.get(f"{BASE}/status") == (b"online", True), 5)
    power = not home.bulb.feature("power")
    await command(home.broker, f"{BASE}/{home.bulb_id}/set", {"power": power})
    await until(lambda: home.bulb.feature("power") is power, 5)


@KINDS
async def test_qos1_messages_wait_in_the_session_while_the_hub_is_away(
    mqtt_broker: BrokerProcess,
) -> None:
    received: list[bytes] = []
    async with MqttConnection(mqtt_broker.url, hub_id="away") as hub:
        async with asyncio.timeout(10):
            await hub.wait_connected()
        hub.subscribe("button/#", lambda topic, payload, retain: received.append(payload))
        async with MqttConnection(mqtt_broker.url, hub_id="probe") as probe:
            # probes until one arrives: the broker may take the subscription after the first
            # probe (NATS sets up a JetStream consumer for it), and that probe reaches no one
            async with asyncio.timeout(10):
                while b"probe" not in received:
                    await probe.publish("button/probe", b"probe", qos=1)
                    with contextlib.suppress(TimeoutError):
                        await until(lambda: b"probe" in received, 0.5)
    sent = [f"press-{n}".encode() for n in range(20)]
    async with MqttConnection(mqtt_broker.url, hub_id="button") as button:
        async with asyncio.timeout(10):
            await button.wait_connected()
        for payload in sent:
            await button.publish("button/hall", payload, qos=1)
    hub = MqttConnection(mqtt_broker.url, hub_id="away")
    # subscribed before it connects, as a hub's adapters are when it reconnects: what the
    # broker kept is delivered right after the CONNACK
    hub.subscribe("button/#", lambda topic, payload, retain: received.append(payload))
    async with hub:
        await until(lambda: set(sent) <= set(received), 10)
        assert hub.session_present


@KINDS
async def test_a_message_the_broker_refuses_does_not_keep_the_hub_away(
    mqtt_broker: BrokerProcess,
) -> None:
    """NATS answers a '.' in a topic, or QoS 2, by closing the connection; a persistent session
    would send the message again on every reconnect. It is dropped after a few tries instead."""
    received: list[bytes] = []
    hub = MqttConnection(mqtt_broker.url, hub_id="refused")
    hub.subscribe("ok/#", lambda topic, payload, retain: received.append(payload))
    async with hub:
        async with asyncio.timeout(10):
            await hub.wait_connected()
        for topic, qos in (("lamp.v2/set", 1), ("ok/two", 2)):
            with contextlib.suppress(DeviceError):  # NATS: the connection is lost first
                await hub.publish(topic, b"on", qos=qos)
        await until(lambda: hub.state is ConnectionState.CONNECTED, 10)
        await hub.publish("ok/after", b"after", qos=1)  # acknowledged: the hub is back
        await until(lambda: b"after" in received, 5)
        assert hub.connections <= 1 + 2 * 3  # a few reconnects, not a loop
