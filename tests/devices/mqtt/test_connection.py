"""MqttConnection against a real private Mosquitto: routing, birth and will, reconnects."""

from __future__ import annotations

import asyncio
import socket
import sys

import pytest

from hub.bus import EventBus, MqttMessage
from hub.devices.mqtt import ConnectionState, MqttConnection, MqttError, ReconnectPolicy
from hub.devices.mqtt.paho_client import open_socket
from tests.mqtt_broker import MosquittoBroker, until

Received = list[tuple[str, bytes, bool]]


async def test_routes_by_wildcard_to_several_callbacks(mosquitto: MosquittoBroker) -> None:
    all_msgs: Received = []
    plugs: Received = []
    async with MqttConnection(mosquitto.url, hub_id="t1") as conn:
        assert conn.state is ConnectionState.CONNECTED
        conn.subscribe("house/#", lambda t, p, r: all_msgs.append((t, p, r)))
        unsubscribe = conn.subscribe("house/+/plug", lambda t, p, r: plugs.append((t, p, r)))
        await conn.publish("house/kitchen/plug", b"on", qos=1)
        await conn.publish("house/kitchen/lamp", "off", qos=1)
        await until(lambda: len(all_msgs) == 2)
        assert plugs == [("house/kitchen/plug", b"on", False)]
        unsubscribe()
        await conn.publish("house/hall/plug", b"x", qos=1)
        await until(lambda: len(all_msgs) == 3)
        assert len(plugs) == 1


async def test_retained_messages_are_flagged(mosquitto: MosquittoBroker) -> None:
    async with MqttConnection(mosquitto.url, hub_id="t2") as conn:
        await conn.publish("house/config", b"{}", qos=1, retain=True)
        seen: Received = []
        conn.subscribe("house/config", lambda t, p, r: seen.append((t, p, r)))
        await until(lambda: seen)
        assert seen == [("house/config", b"{}", True)]


async def test_birth_then_offline_on_clean_stop(mosquitto: MosquittoBroker) -> None:
    status: list[bytes] = []
    async with MqttConnection(mosquitto.url, hub_id="observer") as observer:
        observer.subscribe("mihub/kitchen-hub/status", lambda t, p, r: status.append(p))
        async with MqttConnection(mosquitto.url, hub_id="kitchen-hub") as conn:
            assert conn.status_topic == "mihub/kitchen-hub/status"
            await until(lambda: status == [b"online"])
        await until(lambda: status == [b"online", b"offline"])


async def test_last_will_when_the_hub_dies(mosquitto: MosquittoBroker) -> None:
    """A hub killed without a goodbye is announced offline by the broker (last will)."""
    status: list[bytes] = []
    script = (
        "import asyncio\n"
        "from hub.devices.mqtt import MqttConnection\n"
        "async def main():\n"
        f"    async with MqttConnection('{mosquitto.url}', prefix='homes/h7'):\n"
        "        print('up', flush=True)\n"
        "        await asyncio.sleep(60)\n"
        "asyncio.run(main())\n"
    )
    async with MqttConnection(mosquitto.url, hub_id="observer") as observer:
        observer.subscribe("homes/h7/status", lambda t, p, r: status.append(p))
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, stdout=asyncio.subprocess.PIPE
        )
        try:
            assert process.stdout is not None
            async with asyncio.timeout(10):
                assert await process.stdout.readline() == b"up\n"
            await until(lambda: status == [b"online"])
        finally:
            process.kill()
            await process.wait()
        await until(lambda: status == [b"online", b"offline"], seconds=5)


async def test_reconnects_fast_and_resubscribes(mosquitto: MosquittoBroker) -> None:
    seen: Received = []
    states: list[ConnectionState] = []
    async with MqttConnection(mosquitto.url, hub_id="t3") as conn:
        conn.add_state_listener(states.append)
        conn.subscribe("house/#", lambda t, p, r: seen.append((t, p, r)))
        await mosquitto.kill()
        await until(lambda: conn.state is not ConnectionState.CONNECTED)
        with pytest.raises(MqttError):
            await conn.publish("house/x", b"lost")
        await asyncio.sleep(1.5)  # the behaviour: the broker stays away while the backoff grows
        await mosquitto.start()
        back = mosquitto.started_at
        async with asyncio.timeout(5):
            await conn.wait_connected()
        reconnect = conn.connected_at - back
        print(f"reconnected {reconnect * 1000:.0f} ms after the broker came back")
        assert reconnect < 5.0  # typically ~0.5 s with the default policy (cap 1 s)
        assert conn.connections == 2
        assert ConnectionState.DISCONNECTED in states
        async with MqttConnection(mosquitto.url, hub_id="t3-sender") as sender:
            await sender.publish("house/after", b"again", qos=1)
        await until(lambda: ("house/after", b"again", False) in seen)


async def test_starts_without_a_broker_and_connects_later() -> None:
    broker = MosquittoBroker()
    fast = ReconnectPolicy(initial=0.02, cap=0.1)
    async with MqttConnection(broker.url, hub_id="t4", reconnect=fast) as conn:
        assert conn.state is not ConnectionState.CONNECTED
        async with broker:
            async with asyncio.timeout(5):
                await conn.wait_connected()
            await conn.publish("x", b"y", qos=1)  # acknowledged by the broker (QoS 1)


async def test_watch_puts_messages_on_the_bus(mosquitto: MosquittoBroker) -> None:
    bus = EventBus()
    events: list[MqttMessage] = []
    bus.subscribe(MqttMessage, events.append)
    async with MqttConnection(mosquitto.url, hub_id="t5", bus=bus) as conn:
        conn.watch("doorbell/+")
        await conn.publish("doorbell/front", b"ring", qos=1)
        await until(lambda: events)
    assert events == [MqttMessage("doorbell/front", b"ring", False)]


async def test_a_failing_callback_does_not_stop_the_others(mosquitto: MosquittoBroker) -> None:
    seen: list[bytes] = []

    def broken(topic: str, payload: bytes, retain: bool) -> None:
        raise RuntimeError("bug")

    async with MqttConnection(mosquitto.url, hub_id="t6") as conn:
        conn.subscribe("a", broken)
        conn.subscribe("a", lambda t, p, r: seen.append(p))
        await conn.publish("a", b"1", qos=1)
        await conn.publish("a", b"2", qos=1)
        await until(lambda: seen == [b"1", b"2"])


async def test_sockets_are_connected_without_delay(mosquitto: MosquittoBroker) -> None:
    sock = await open_socket("127.0.0.1", mosquitto.port, connect_timeout=2.0)
    with sock:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        assert sock.getblocking() is False


def test_reconnect_policy_is_capped_and_jittered() -> None:
    policy = ReconnectPolicy(initial=0.05, cap=1.0, jitter=0.1)
    delays = [policy.next_delay() for _ in range(10)]
    assert 0.045 <= delays[0] <= 0.055
    assert all(d <= 1.1 for d in delays)
    assert delays[-1] >= 0.9
    policy.reset()
    assert policy.next_delay() <= 0.055
    with pytest.raises(ValueError, match="initial"):
        ReconnectPolicy(initial=2, cap=1)


def test_only_mqtt_urls() -> None:
    with pytest.raises(MqttError, match="mqtt://"):
        MqttConnection("http://127.0.0.1")
