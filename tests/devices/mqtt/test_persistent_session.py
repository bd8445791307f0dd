"""QoS 1 subscriptions survive a broker restart: what is published while the hub reconnects
is delivered after it, because the broker kept the hub's session (issue 10.11)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from hub.devices.mqtt.connection import ConnectionState, MqttConnection
from hub.devices.mqtt.reconnect import ReconnectPolicy
from hub.errors import InvalidValue
from tests.mqtt_broker import MosquittoBroker, until

MESSAGES = 100
OUTAGES = 3


async def test_qos1_triggers_sent_while_the_hub_reconnects_are_delivered(tmp_path: Path) -> None:
    persistence = f"persistence true\npersistence_location {tmp_path}/\n"
    received: set[bytes] = set()
    lost: list[int] = []
    broker = MosquittoBroker(extra_config=persistence)
    # the hub's usual backoff: it comes back 0.05-1 s after the broker does
    hub = MqttConnection(broker.url, hub_id="persist", reconnect=ReconnectPolicy())
    async with broker, hub:
        hub.subscribe("trigger/#", lambda topic, payload, retain: received.add(payload))
        async with MqttConnection(broker.url, hub_id="probe") as probe:
            await probe.publish("trigger/probe", b"probe", qos=1)
            await until(lambda: b"probe" in received)  # subscribed
        for outage in range(OUTAGES):
            await broker.stop()  # a restart (an update, a reboot): the session is saved
            await broker.start()
            sent = [f"{outage}-{n}".encode() for n in range(MESSAGES)]
            async with MqttConnection(broker.url, hub_id=f"sender{outage}") as sender:
                async with asyncio.timeout(10):
                    await sender.wait_connected()
                for payload in sent:  # at once, while the hub is still reconnecting
                    await sender.publish("trigger/button", payload, qos=1)
                await hub.wait_connected()
                with contextlib.suppress(TimeoutError):  # counted below
                    await until(lambda: received.issuperset(sent), 5)  # noqa: B023
            lost.append(len(set(sent) - received))
            assert hub.session_present
    assert lost == [0] * OUTAGES


async def test_a_bad_filter_is_refused_and_never_spoils_a_resubscribe(
    mosquitto: MosquittoBroker,
) -> None:
    received: list[bytes] = []
    async with MqttConnection(mosquitto.url, hub_id="filters") as hub:
        for bad in ("a+b", "#/x", "a/#/b", "", "a\0b"):
            with pytest.raises(InvalidValue, match="not an MQTT topic filter"):
                hub.subscribe(bad, lambda topic, payload, retain: None)
        hub.subscribe("ok/+", lambda topic, payload, retain: received.append(payload))
        await mosquitto.kill()  # no persistence: the hub subscribes everything again
        await mosquitto.start()
        await hub.wait_connected()
        async with MqttConnection(mosquitto.url, hub_id="sender") as sender:
            await until(lambda: hub.state is ConnectionState.CONNECTED)
            for _ in range(50):  # until the hub's new SUBSCRIBE has reached the broker
                await sender.publish("ok/1", b"after", qos=1)
                with contextlib.suppress(TimeoutError):
                    await until(lambda: b"after" in received, 0.1)
                    break
    assert b"after" in received
