"""A large fleet's MQTT side comes up: ``python -m firmware_sim --count 1000 --mqtt URL``.

With one socket per miIO device (two per camera) the fleet holds more than 1,024 file
descriptors before the MQTT simulators connect. paho's own network thread waits with
``select()``, which cannot watch such a descriptor: the fleet used to give up with
"no MQTT broker at ..." although the broker was up.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

from hub.devices.mqtt import MqttConnection
from tests.loopback import free_hosts
from tests.mqtt_broker import MosquittoBroker, until

COUNT = 1000  # ~1,330 sockets with the cameras' HTTP servers: past select()'s 1,023


async def test_a_fleet_of_1000_devices_brings_its_zigbee_bridge_up(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    manifest = tmp_path / "manifest.json"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "firmware_sim", "--count", str(COUNT),
        "--host-base", free_hosts(COUNT, port=0)[0], "--port", "0", "--snapshot-port", "0",
        "--quiet", "--mqtt", mosquitto.url, "--manifest", str(manifest),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        # the manifest is written once every device listens and the MQTT side is up
        await until(lambda: manifest.exists() or proc.returncode is not None, 60)
        assert proc.returncode is None, "the fleet exited early"
        assert len(json.loads(manifest.read_text())) == COUNT
        seen: dict[str, bytes] = {}
        async with MqttConnection(mosquitto.url, hub_id="probe") as probe:
            probe.subscribe(
                "zigbee2mqtt/#", lambda topic, payload, _: seen.update({topic: payload})
            )
            await until(lambda: "zigbee2mqtt/bridge/devices" in seen, 10)
            assert json.loads(seen["zigbee2mqtt/bridge/state"]) == {"state": "online"}
            await probe.publish("zigbee2mqtt/plug_1/set", b'{"state": "ON"}', qos=1)
            await until(
                lambda: json.loads(seen.get("zigbee2mqtt/plug_1", b"{}")).get("state") == "ON", 10
            )
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, stderr.decode()
