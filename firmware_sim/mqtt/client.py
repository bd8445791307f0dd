"""SimMqttClient: the simulators' MQTT link, a paho client on paho's own network thread.

This is firmware, not the hub: like a real Zigbee2MQTT bridge it simply keeps reconnecting
(paho's loop thread, 1-2 s between attempts) and, on every connect, republishes what it owns
(``on_connect``) because a broker without persistence forgets retained messages.
Handlers run on paho's thread; the simulators guard their state with a lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

_LOGGER = logging.getLogger(__name__)

Handler = Callable[[str, bytes], None]


class SimMqttClient:
    def __init__(
        self,
        host: str,
        port: int,
        name: str,
        will: tuple[str, bytes] | None = None,
        on_connect: Callable[[], None] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"{name}-{os.urandom(3).hex()}"
        )
        self._client.reconnect_delay_set(1, 2)
        if will is not None:
            self._client.will_set(will[0], will[1], qos=1, retain=True)
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._client.on_disconnect = self._on_disconnect
        self._republish = on_connect
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._ready: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None
        self.connections = 0

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def subscribe(self, topic_filter: str, handler: Handler) -> None:
        with self._lock:
            self._handlers[topic_filter] = handler
        if self._connected.is_set():
            self._client.subscribe(topic_filter, 1)

    def publish(
        self, topic: str, payload: bytes | str | dict[str, Any] | list[Any], retain: bool = False
    ) -> None:
        if isinstance(payload, dict | list):
            payload = json.dumps(payload, separators=(",", ":"))
        self._client.publish(topic, payload, qos=1 if retain else 0, retain=retain)

    async def start(self) -> None:
        """Connect (paho's thread) and return once the first connect has been handled."""
        ready = asyncio.Event()
        self._ready = (asyncio.get_running_loop(), ready)
        self._client.connect_async(self.host, self.port, keepalive=30)
        self._client.loop_start()
        try:
            async with asyncio.timeout(10):
                await ready.wait()
        except TimeoutError:
            await self.stop()
            raise ConnectionError(f"no MQTT broker at {self.host}:{self.port}") from None

    async def stop(self, goodbye: tuple[str, bytes] | None = None) -> None:
        """Optionally publish a last retained message, then disconnect and join the thread."""
        if goodbye is not None and self._connected.is_set():
            info = self._client.publish(goodbye[0], goodbye[1], qos=1, retain=True)
            await asyncio.to_thread(info.wait_for_publish, 1.0)
        self._connected.clear()
        self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)
        # paho closes its thread's wake-up socket pair only in __del__: close it now
        self._client._reset_sockets()

    def _on_connect(self, client: mqtt.Client, _: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            _LOGGER.warning("broker %s:%d refused the simulator: %s", self.host, self.port, reason)
            return
        self.connections += 1
        with self._lock:
            topics = list(self._handlers)
        for topic in topics:
            client.subscribe(topic, 1)
        if self._republish is not None:
            self._republish()
        self._connected.set()
        if self._ready is not None:
            loop, ready = self._ready
            with contextlib.suppress(RuntimeError):  # that loop may be gone by a reconnect
                loop.call_soon_threadsafe(ready.set)

    def _on_disconnect(
        self, client: mqtt.Client, _: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._connected.clear()

    def _on_message(self, client: mqtt.Client, _: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            handlers = [
                h for f, h in self._handlers.items() if mqtt.topic_matches_sub(f, message.topic)
            ]
        for handler in handlers:
            try:
                handler(message.topic, bytes(message.payload))
            except Exception:
                _LOGGER.exception("simulator handler failed on '%s'", message.topic)
