"""The whole hub across a broker restart: every MQTT trigger published while it reconnects
runs its automation once it is back (issue 10.11, at the level a user sees)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from hub.app import Hub
from hub.config import Config
from hub.devices.mqtt.connection import MqttConnection
from tests.mqtt_broker import MosquittoBroker, until

TRIGGERS = 60


async def test_triggers_sent_during_a_broker_restart_all_run_their_automation(
    tmp_path: Path,
) -> None:
    broker = MosquittoBroker(extra_config=f"persistence true\npersistence_location {tmp_path}/\n")
    replies: set[bytes] = set()
    async with broker:
        config = Config.model_validate({
            "hub": {"id": "restart", "data_dir": str(tmp_path / "data")},
            "api": {"port": 0}, "miio": {"bind": "127.0.0.1"}, "mqtt": {"url": broker.url},
            "automations": [{
                "id": "echo", "mode": "parallel", "max": 1000, "max_rate": 10_000,
                "trigger": [{"platform": "mqtt", "topic": "button/+"}],
                "action": [{"action": "publish", "topic": "reply/echo",
                            "payload": "{trigger.payload}", "qos": 1}],
            }],
        })  # fmt: skip
        async with Hub(config) as hub, MqttConnection(broker.url, hub_id="listener") as listener:
            assert hub.mqtt is not None
            listener.subscribe("reply/echo", lambda topic, payload, retain: replies.add(payload))
            async with MqttConnection(broker.url, hub_id="probe") as probe:
                await probe.publish("button/probe", b"probe", qos=1)
                await until(lambda: b"probe" in replies, 5)
            await broker.stop()
            await broker.start()
            sent = [f"press-{n}".encode() for n in range(TRIGGERS)]
            async with MqttConnection(broker.url, hub_id="button") as button:
                async with asyncio.timeout(10):
                    await button.wait_connected()
                for payload in sent:  # while the hub is still reconnecting
                    await button.publish("button/hall", payload, qos=1)
            with contextlib.suppress(TimeoutError):  # counted below
                await until(lambda: replies.issuperset(sent), 10)
            missing = sorted(set(sent) - replies)
    assert missing == []
