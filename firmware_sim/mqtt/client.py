"""SimMqttClient: the simulators' MQTT link, a paho client driven by the asyncio loop.

This is firmware, not the hub: like a real Zigbee2MQTT bridge it simply keeps reconnecting
(every 1-2 s) and, on every connect, republishes what it owns (``on_connect``) because a
broker without persistence forgets retained messages.

The loop drives paho through its socket callbacks (``add_reader``, and ``add_writer`` while
paho has bytes queued), as paho's documented external-loop example does. paho's own network
thread is not used: it waits with ``select()``, which cannot watch a file descriptor above
1023, so in a fleet of 1,000 devices (one socket each, opened first) it never saw its
broker's reply and the fleet gave up with "no MQTT broker". Handlers run on the loop; the
simulators' locks stay for callers on other threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

_LOGGER = logging.getLogger(__name__)

Handler = Callable[[str, bytes], None]
FIRST_CONNECT_S = 10.0
CONNECT_TIMEOUT_S = 2.0


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
            CallbackAPIVersion.VERSION2,
            client_id=f"{name}-{os.urandom(3).hex()}",
            reconnect_on_failure=False,
        )
        self._client.connect_timeout = CONNECT_TIMEOUT_S
        if will is not None:
            self._client.will_set(will[0], will[1], qos=1, retain=True)
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._client.on_disconnect = self._on_disconnect
        self._client.on_socket_open = self._socket_opened
        self._client.on_socket_close = self._socket_closed
        self._client.on_socket_register_write = self._want_write
        self._client.on_socket_unregister_write = self._wrote_all
        self._republish = on_connect
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = asyncio.Event()
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
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
        """Connect, and return once the broker has accepted us (retrying for up to 10 s)."""
        self._loop = asyncio.get_running_loop()
        self._client.connect_async(self.host, self.port, keepalive=30)
        self._task = asyncio.create_task(self._run(), name=f"sim-mqtt-{self.host}:{self.port}")
        try:
            async with asyncio.timeout(FIRST_CONNECT_S):
                await self._ready.wait()
        except TimeoutError:
            await self.stop()
            raise ConnectionError(f"no MQTT broker at {self.host}:{self.port}") from None

    async def stop(self, goodbye: tuple[str, bytes] | None = None) -> None:
        """Optionally publish a last retained message, then disconnect."""
        if goodbye is not None and self._connected.is_set():
            acked = asyncio.Event()
            info = self._client.publish(goodbye[0], goodbye[1], qos=1, retain=True)

            def published(client: mqtt.Client, _: Any, mid: int, reason: Any, props: Any) -> None:
                if mid == info.mid:
                    acked.set()

            self._client.on_publish = published
            with contextlib.suppress(TimeoutError):  # a broker gone meanwhile: goodbye lost
                async with asyncio.timeout(1.0):
                    await acked.wait()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._connected.clear()
        self._client.disconnect()
        self._client.loop_write()  # sends DISCONNECT now and closes the socket: no will
        # paho closes its wake-up socket pair only in __del__: close it now
        self._client._reset_sockets()

    async def _run(self) -> None:
        """Connect, run paho's keepalive while connected, reconnect 1-2 s after a loss."""
        while True:
            try:
                self._lost.clear()
                self._client.reconnect()  # a loopback or same-namespace broker: no wait
            except OSError as exc:
                _LOGGER.debug("broker %s:%d: %s", self.host, self.port, exc)
                self._lost.set()
            while not self._lost.is_set():
                try:
                    async with asyncio.timeout(1.0):
                        await self._lost.wait()
                except TimeoutError:
                    self._client.loop_misc()  # keepalive pings, and a dead peer noticed
            self._connected.clear()
            await asyncio.sleep(random.uniform(1.0, 2.0))

    # ---- paho callbacks (on the loop) ------------------------------------------------------

    def _socket_opened(self, client: mqtt.Client, _: Any, sock: Any) -> None:
        self._on_loop(lambda loop: loop.add_reader(sock, self._readable))

    def _socket_closed(self, client: mqtt.Client, _: Any, sock: Any) -> None:
        def drop(loop: asyncio.AbstractEventLoop) -> None:
            loop.remove_reader(sock)
            loop.remove_writer(sock)
            self._lost.set()

        self._on_loop(drop)

    def _want_write(self, client: mqtt.Client, _: Any, sock: Any) -> None:
        self._on_loop(lambda loop: loop.add_writer(sock, self._client.loop_write))

    def _wrote_all(self, client: mqtt.Client, _: Any, sock: Any) -> None:
        self._on_loop(lambda loop: loop.remove_writer(sock))

    def _readable(self) -> None:
        if self._client.loop_read() != mqtt.MQTT_ERR_SUCCESS:
            self._lost.set()

    def _on_loop(self, action: Callable[[asyncio.AbstractEventLoop], object]) -> None:
        """Run ``action`` on the loop: now when called there, else as soon as it can."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            action(loop)
        else:
            loop.call_soon_threadsafe(action, loop)

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
        self._on_loop(lambda _: self._ready.set())

    def _on_disconnect(
        self, client: mqtt.Client, _: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._connected.clear()
        self._on_loop(lambda _: self._lost.set())

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
