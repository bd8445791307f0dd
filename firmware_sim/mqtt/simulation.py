"""The MQTT side of ``python -m firmware_sim``: a Zigbee2MQTT bridge and a discovery lamp.

In ``firmware_sim/__main__.py``, inside its ``AsyncExitStack``::

    if args.mqtt:
        await stack.enter_async_context(MqttSimulation(args.mqtt))
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from types import TracebackType
from urllib.parse import urlsplit

from firmware_sim.mqtt.bridge import Zigbee2MqttBridge
from firmware_sim.mqtt.catalog import ZigbeeDeviceConfig
from firmware_sim.mqtt.ha_lamp import HaDiscoveryLamp


def broker_address(url: str) -> tuple[str, int]:
    """``mqtt://127.0.0.1:1883`` -> ``("127.0.0.1", 1883)``."""
    parts = urlsplit(url if "://" in url else f"mqtt://{url}")
    if parts.scheme != "mqtt" or not parts.hostname:
        raise ValueError(f"not an mqtt:// URL: {url!r}")
    return parts.hostname, parts.port or 1883


class MqttSimulation:
    """Both MQTT simulators on one broker, started and stopped together."""

    def __init__(
        self,
        url: str,
        base_topic: str = "zigbee2mqtt",
        discovery_prefix: str = "homeassistant",
        devices: Sequence[ZigbeeDeviceConfig] | None = None,
    ) -> None:
        host, port = broker_address(url)
        self.bridge = Zigbee2MqttBridge(host, port, base_topic, devices)
        self.lamp = HaDiscoveryLamp(host, port, discovery_prefix=discovery_prefix)
        self._stack = contextlib.AsyncExitStack()

    async def __aenter__(self) -> MqttSimulation:
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(self.bridge)
            await stack.enter_async_context(self.lamp)
            self._stack = stack.pop_all()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stack.aclose()

    def describe(self) -> list[str]:
        lines = [
            f"zigbee2mqtt {d.model.model:<11} {self.bridge.base}/{d.name}"
            for d in self.bridge.devices.values()
        ]
        lines.append(f"HA discovery light+sensor  {self.lamp.base} (node {self.lamp.node_id})")
        return lines


async def run_mqtt_bridge(
    url: str,
    stop: asyncio.Event | None = None,
    base_topic: str = "zigbee2mqtt",
    discovery_prefix: str = "homeassistant",
) -> None:
    """Run the MQTT simulators on the broker at ``url`` until ``stop`` is set (or cancelled)."""
    async with MqttSimulation(url, base_topic, discovery_prefix) as simulation:
        for line in simulation.describe():
            print(line, flush=True)
        await (stop or asyncio.Event()).wait()
