"""HaDiscoveryLamp: a simulated lamp announced through Home Assistant MQTT discovery.

It announces itself the way Tasmota or ESPHome firmware do: retained config messages with
abbreviated keys and a ``~`` base topic, one light entity (on/off, brightness 0-100) and one
sensor entity (the lamp's temperature) grouped under one ``dev.ids``. It obeys its command
topics and reports back on its state topics.

::

    async with HaDiscoveryLamp("127.0.0.1", 1883) as lamp:
        lamp.on              # True once someone published "ON" to simlamp/<node>/set
        lamp.remove()        # empty retained configs: the entities (and device) go away
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from firmware_sim.mqtt.client import SimMqttClient


class HaDiscoveryLamp:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 1883,
        node_id: str = "sim_lamp",
        discovery_prefix: str = "homeassistant",
    ) -> None:
        self.node_id = node_id
        self.prefix = discovery_prefix
        self.base = f"simlamp/{node_id}"
        self.on = False
        self.brightness = 80
        self.temperature = 34.5
        self.announced = True
        self._lock = threading.Lock()
        self._client = SimMqttClient(
            host,
            port,
            f"sim-lamp-{node_id}",
            will=(f"{self.base}/status", b"offline"),
            on_connect=self._announce,
        )

    @property
    def config_topics(self) -> dict[str, str]:
        return {
            "light": f"{self.prefix}/light/{self.node_id}/light/config",
            "sensor": f"{self.prefix}/sensor/{self.node_id}/temperature/config",
        }

    def configs(self) -> dict[str, dict[str, Any]]:
        device = {
            "ids": [f"simlamp-{self.node_id}"],
            "name": "Kitchen lamp",
            "mf": "mihub simulator",
            "mdl": "SL-1",
            "sw": "1.0.3",
        }
        return {
            "light": {
                "~": self.base,
                "name": "Light",
                "uniq_id": f"{self.node_id}_light",
                "stat_t": "~/state",
                "cmd_t": "~/set",
                "bri_stat_t": "~/brightness",
                "bri_cmd_t": "~/brightness/set",
                "bri_scl": 100,
                "pl_on": "ON",
                "pl_off": "OFF",
                "avty_t": "~/status",
                "dev": device,
            },
            "sensor": {
                "~": self.base,
                "name": "Temperature",
                "uniq_id": f"{self.node_id}_temperature",
                "stat_t": "~/telemetry",
                "val_tpl": "{{ value_json.temperature }}",
                "unit_of_meas": "°C",
                "dev_cla": "temperature",
                "stat_cla": "measurement",
                "avty_t": "~/status",
                "dev": device,
            },
        }

    async def __aenter__(self) -> HaDiscoveryLamp:
        self._client.subscribe(f"{self.base}/set", self._on_power)
        self._client.subscribe(f"{self.base}/brightness/set", self._on_brightness)
        await self._client.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._client.stop(goodbye=(f"{self.base}/status", b"offline"))

    def _announce(self) -> None:
        publish = self._client.publish
        if self.announced:
            for component, config in self.configs().items():
                publish(self.config_topics[component], config, retain=True)
        publish(f"{self.base}/status", b"online", retain=True)
        self._report()

    def _report(self) -> None:
        with self._lock:
            on, brightness, temperature = self.on, self.brightness, self.temperature
        self._client.publish(f"{self.base}/state", b"ON" if on else b"OFF", retain=True)
        self._client.publish(f"{self.base}/brightness", str(brightness), retain=True)
        self._client.publish(f"{self.base}/telemetry", {"temperature": temperature}, retain=True)

    def _on_power(self, topic: str, payload: bytes) -> None:
        if payload not in (b"ON", b"OFF"):
            return
        with self._lock:
            self.on = payload == b"ON"
        self._report()

    def _on_brightness(self, topic: str, payload: bytes) -> None:
        try:
            level = int(float(payload))
        except ValueError:
            return
        with self._lock:
            self.brightness = max(0, min(100, level))
            self.on = self.brightness > 0
        self._report()

    # ---- use cases ------------------------------------------------------------------------

    def heat(self, celsius: float) -> None:
        with self._lock:
            self.temperature = celsius
        self._report()

    def remove(self) -> None:
        """Withdraw the discovery configs (empty retained payloads)."""
        self.announced = False
        for topic in self.config_topics.values():
            self._client.publish(topic, b"", retain=True)
