"""MqttConnection: one broker connection, driven by the asyncio loop through paho's callbacks.

paho parses and builds packets; the loop does the I/O: the socket is watched with
``add_reader`` / ``add_writer`` and a small task runs paho's keepalive once a second. No paho
thread. The connection reconnects by itself (:class:`ReconnectPolicy`), subscribes again on
every connect, and keeps a retained ``<prefix>/status``: ``online`` on connect (birth),
``offline`` as the last will and on a clean stop.

The session is persistent (MQTT 3.1.1 ``clean_session`` false, a client id stable per hub:
``mihub-<hub id>``) and subscriptions are QoS 1: while the hub is away (a broker restart, a
network cut, the hub restarting) the broker keeps its subscriptions and queues QoS 1 messages
for it, and delivers them when it is back, as long as the broker keeps the session (Mosquitto:
across its own restart only with ``persistence true``; how long: ``persistent_client_expiration``).
So hub ids must be unique per broker, as their topics already are.

::

    async with MqttConnection("mqtt://127.0.0.1:1883", hub_id="home", bus=bus) as mqtt:
        mqtt.subscribe("zigbee2mqtt/#", on_message)   # on_message(topic, payload, retain)
        await mqtt.publish("zigbee2mqtt/plug/set", b'{"state":"ON"}', qos=1)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from enum import StrEnum
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt

from hub.bus import EventBus, MqttMessage
from hub.devices.mqtt.paho_client import PahoClient, open_socket
from hub.devices.mqtt.reconnect import ReconnectPolicy
from hub.devices.mqtt.router import MessageCallback, TopicRouter
from hub.errors import DeviceError, DeviceTimeout, InvalidValue

_LOGGER = logging.getLogger(__name__)

SUBSCRIBE_QOS = 1
"""Messages published at QoS 1 reach the hub at QoS 1: queued by the broker while it is away."""
REFUSED_AFTER = 3
"""A message in flight when this many connections in a row dropped is refused: it goes."""


class ConnectionState(StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"


class MqttError(DeviceError):
    """The broker is not reachable, refused us, or did not acknowledge in time."""


class MqttConnection:
    def __init__(
        self,
        url: str,
        *,
        hub_id: str = "home",
        prefix: str | None = None,
        client_id: str | None = None,
        username: str | None = None,
        password: str | None = None,
        bus: EventBus | None = None,
        keepalive: int = 30,
        connect_timeout: float = 5.0,
        reconnect: ReconnectPolicy | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme != "mqtt" or not parts.hostname:
            raise MqttError(f"unsupported MQTT URL '{url}': use mqtt://host[:port]")
        self.url = url
        self.host = parts.hostname
        self.port = parts.port or 1883
        self.prefix = (prefix or f"mihub/{hub_id}").rstrip("/")
        self.status_topic = f"{self.prefix}/status"
        self.bus = bus
        self.keepalive = keepalive
        self.connect_timeout = connect_timeout
        self.policy = reconnect or ReconnectPolicy()
        self.state = ConnectionState.DISCONNECTED
        self.connected_at = 0.0
        """``time.monotonic()`` of the last successful connect."""
        self.connections = 0

        self.client_id = client_id or f"mihub-{hub_id}"
        self.session_present = False
        """Whether the broker still had this hub's session at the last connect."""
        self._client = PahoClient(self.client_id, clean_session=False)
        if username is not None or parts.username is not None:
            self._client.username_pw_set(username or parts.username, password or parts.password)
        self._client.will_set(self.status_topic, b"offline", qos=1, retain=True)
        self._client.connect_async(self.host, self.port, keepalive)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_publish = self._on_publish

        self._router = TopicRouter()
        self._acks: dict[int, asyncio.Future[None]] = {}
        self._listeners: list[Callable[[ConnectionState], None]] = []
        self._connack: asyncio.Future[None] | None = None
        self._lost = asyncio.Event()
        self._connected = asyncio.Event()
        self._first_attempt = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    # ---- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> MqttConnection:
        """Start connecting; return after the first attempt, connected or not (it retries)."""
        loop = asyncio.get_running_loop()
        for name, coro in (("supervise", self._supervise()), ("keepalive", self._keepalive())):
            task = loop.create_task(coro, name=f"mqtt-{name}-{self.host}:{self.port}")
            self._tasks.add(task)
        await self._first_attempt.wait()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self.state is ConnectionState.CONNECTED:
            with contextlib.suppress(DeviceError):
                await self.publish(
                    self.status_topic, b"offline", qos=1, retain=True, ack_timeout=1.0
                )
            self._client.disconnect()  # the writer sends DISCONNECT, then paho closes
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._lost.wait()
        self._client.abort()
        self._set_state(ConnectionState.DISCONNECTED)

    async def wait_connected(self) -> None:
        """Return once connected (wrap it in ``asyncio.timeout`` to bound the wait)."""
        await self._connected.wait()

    def add_state_listener(self, listener: Callable[[ConnectionState], None]) -> Callable[[], None]:
        """Call ``listener(state)`` on every state change; returns the call that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    async def _supervise(self) -> None:
        while True:
            self._set_state(ConnectionState.CONNECTING)
            try:
                await self._connect_once()
            except (OSError, MqttError, ValueError) as exc:  # TimeoutError is an OSError
                if isinstance(exc, ValueError):  # from paho: a bug, but never a dead connection
                    _LOGGER.exception("MQTT connect to %s:%d failed", self.host, self.port)
                self._connack = None
                self._client.abort()
                self._set_state(ConnectionState.DISCONNECTED)
                log = _LOGGER.warning if self.policy.attempts == 0 else _LOGGER.debug
                log("MQTT broker %s:%d unreachable: %s", self.host, self.port, exc or "timeout")
                self._first_attempt.set()
                await asyncio.sleep(self.policy.next_delay())
                continue
            self.policy.reset()
            self._first_attempt.set()
            await self._lost.wait()
            self._set_state(ConnectionState.DISCONNECTED)
            _LOGGER.warning("lost the MQTT broker %s:%d; reconnecting", self.host, self.port)

    async def _connect_once(self) -> None:
        self._client.next_socket = await open_socket(self.host, self.port, self.connect_timeout)
        self._lost.clear()
        self._connack = asyncio.get_running_loop().create_future()
        self._client.reconnect()  # paho takes the socket and queues CONNECT
        async with asyncio.timeout(self.connect_timeout):
            await self._connack
        self.connections += 1
        self.connected_at = time.monotonic()
        if filters := self._router.filters:
            self._client.subscribe([(topic_filter, SUBSCRIBE_QOS) for topic_filter in filters])
        self._client.publish(self.status_topic, b"online", qos=1, retain=True)
        self._client.flush()
        self._set_state(ConnectionState.CONNECTED)
        _LOGGER.info("connected to the MQTT broker %s:%d (%s)", self.host, self.port,
                     "session kept" if self.session_present else "new session")  # fmt: skip

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            if self._client.socket() is not None:
                self._client.loop_misc()

    def _set_state(self, state: ConnectionState) -> None:
        if state is self.state:
            return
        self.state = state
        if state is ConnectionState.CONNECTED:
            self._connected.set()
        else:
            self._connected.clear()
        for listener in tuple(self._listeners):
            try:
                listener(state)
            except Exception:
                _LOGGER.exception("MQTT state listener %r failed", listener)

    # ---- paho callbacks (all on the loop) ---------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _: Any, flags: Any, reason: Any, props: Any) -> None:
        connack = self._connack
        if connack is None or connack.done():
            return
        self.session_present = bool(getattr(flags, "session_present", False))
        if reason.is_failure:
            connack.set_exception(MqttError(f"the MQTT broker refused the connection: {reason}"))
        else:
            connack.set_result(None)

    def _on_disconnect(
        self, client: mqtt.Client, _: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._lost.set()
        for message in self._client.drop_refused(REFUSED_AFTER):
            _LOGGER.warning("the MQTT broker %s:%d closed the connection each time '%s' (QoS %d) "
                            "was sent: dropped it (a topic or QoS this broker refuses?)",
                            self.host, self.port, message.topic, message.qos)  # fmt: skip
        for future in self._acks.values():
            if not future.done():
                future.set_exception(MqttError("the MQTT connection was lost before the ack"))
        if self._connack is not None and not self._connack.done():
            self._connack.set_exception(MqttError(f"the broker closed the connection: {reason}"))

    def _on_publish(self, client: mqtt.Client, _: Any, mid: int, reason: Any, props: Any) -> None:
        future = self._acks.get(mid)
        if future is not None and not future.done():
            future.set_result(None)

    # ---- messages -------------------------------------------------------------------------

    def _on_message(self, client: mqtt.Client, _: Any, message: mqtt.MQTTMessage) -> None:
        payload: bytes = message.payload  # type: ignore[assignment]  # paho unpacks bytes
        self._router.dispatch(message.topic, payload, message.retain)

    def subscribe(self, topic_filter: str, callback: MessageCallback) -> Callable[[], None]:
        """Call ``callback(topic, payload, retain)`` for messages matching ``topic_filter``.

        Kept across reconnects. Returns the call that unsubscribes this callback. Raises
        :class:`InvalidValue` for a filter the broker would refuse: kept, it would make every
        later (re)subscribe fail with it.
        """
        try:
            self._router.add(topic_filter, callback)
        except ValueError as exc:
            raise InvalidValue(f"{topic_filter!r} is not an MQTT topic filter: {exc}") from None
        if self.state is ConnectionState.CONNECTED:
            self._client.subscribe(topic_filter, SUBSCRIBE_QOS)  # again: retained re-sent
            self._client.flush()

        def unsubscribe() -> None:
            unused = self._router.remove(topic_filter, callback)
            if unused and self.state is ConnectionState.CONNECTED:
                self._client.unsubscribe(topic_filter)
                self._client.flush()

        return unsubscribe

    def watch(self, topic_filter: str) -> Callable[[], None]:
        """Publish an :class:`MqttMessage` on the bus for each message (automation triggers)."""
        bus = self.bus
        if bus is None:
            raise MqttError("watch() needs the connection to be given the event bus")

        def forward(topic: str, payload: bytes, retain: bool) -> None:
            bus.publish(MqttMessage(topic, payload, retain))

        return self.subscribe(topic_filter, forward)

    def publish_nowait(
        self, topic: str, payload: bytes | str, qos: int = 0, retain: bool = False
    ) -> mqtt.MQTTMessageInfo:
        """Hand a message to the socket now; raise :class:`MqttError` when not connected."""
        if self.state is not ConnectionState.CONNECTED:
            raise MqttError(f"not connected to the MQTT broker {self.host}:{self.port}")
        info = self._client.publish(topic, payload, qos, retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise MqttError(f"cannot publish to '{topic}': {mqtt.error_string(info.rc)}")
        self._client.flush()
        return info

    async def publish(
        self,
        topic: str,
        payload: bytes | str,
        qos: int = 0,
        retain: bool = False,
        ack_timeout: float = 5.0,
    ) -> None:
        """Publish; with QoS 1 or 2, return once the broker acknowledged the message."""
        info = self.publish_nowait(topic, payload, qos, retain)
        if qos == 0 or info.is_published():
            return
        future = self._acks[info.mid] = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(ack_timeout):
                await future
        except TimeoutError:
            raise DeviceTimeout(f"the MQTT broker did not acknowledge '{topic}'") from None
        finally:
            self._acks.pop(info.mid, None)
