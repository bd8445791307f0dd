"""Push: miIO.sub, properties_changed / event_occured, acks, keepalive, resubscribe."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from firmware_sim.fleet import DeviceConfig, Fleet, SimulatedDevice
from hub.devices.miio.push import (
    EventOccurred,
    PropertyChanged,
    Push,
    Subscription,
    SubscriptionState,
    decode_push,
)
from hub.devices.miio.transport import MiioSession, MiioTransport, RetryPolicy
from hub.errors import DeviceError, DeviceTimeout
from tests.devices.miio.scripted import Reply, ScriptedDevice
from tests.waiting import until

FAST = RetryPolicy(timeout=0.1, retries=2, backoff=0.01)
TOKEN = "00112233445566778899aabbccddeeff"


@pytest.fixture
async def transport() -> AsyncIterator[MiioTransport]:
    async with MiioTransport(("127.0.0.1", 0), policy=FAST) as transport:
        yield transport


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    configs = [
        DeviceConfig("zhimi.airpurifier.mb3", "127.0.0.90", port=0),
        DeviceConfig("chuangmi.camera.ipc019", "127.0.0.91", port=0, snapshot_port=0),
    ]
    async with Fleet(configs, tick=60.0) as fleet:
        yield fleet


def session_for(transport: MiioTransport, dev: SimulatedDevice) -> MiioSession:
    return transport.session(dev.host, dev.token, port=dev.port)


async def next_push(subscription: Subscription, wait: float = 1.0) -> Push:
    async with asyncio.timeout(wait):
        return await anext(subscription)


async def test_a_property_change_is_delivered_once_and_acked(
    transport: MiioTransport, fleet: Fleet
) -> None:
    sim = fleet.devices[0]
    async with Subscription(session_for(transport, sim)) as pushes:
        sim.set_property(2, 2, True)
        assert await next_push(pushes) == PropertyChanged(2, 2, True, str(sim.did))
        await until(lambda: sim.server.subscribers.acked == 1)
        assert sim.server.subscribers.pending == {}  # our ack reached it: no resends
        sim.set_property(2, 4, 3)
        assert await next_push(pushes) == PropertyChanged(2, 4, 3, str(sim.did))
    assert transport.stats.duplicate_pushes == 0


async def test_a_resent_push_is_acked_again_but_delivered_once(
    transport: MiioTransport, fleet: Fleet
) -> None:
    sim = fleet.devices[0]
    async with Subscription(session_for(transport, sim)) as pushes:
        sim.faults.loss = 1.0  # the device does not hear our ack...
        sim.set_property(2, 2, True)
        assert await next_push(pushes) == PropertyChanged(2, 2, True, str(sim.did))
        await asyncio.sleep(0.05)  # absence: the device reads, and loses, our ack
        assert sim.server.subscribers.acked == 0
        sim.faults.loss = 0.0  # ...so it resends (after 1 s), and hears this ack
        await until(lambda: sim.server.subscribers.acked, 2)
        assert sim.server.subscribers.acked == 1
        assert transport.stats.duplicate_pushes == 1
        with pytest.raises(TimeoutError):
            await next_push(pushes, wait=0.1)


async def test_camera_motion_arrives_as_an_event(transport: MiioTransport, fleet: Fleet) -> None:
    camera = fleet.devices[1]
    async with Subscription(session_for(transport, camera)) as pushes:
        assert camera.use_cases.motion()
        push = await next_push(pushes)
    assert push == EventOccurred(5, 1, (), str(camera.did))


async def test_pushes_can_go_to_a_callback(transport: MiioTransport, fleet: Fleet) -> None:
    sim = fleet.devices[0]
    got: list[Push] = []
    arrived = asyncio.Event()

    def on_push(push: Push) -> None:
        got.append(push)
        arrived.set()

    async with Subscription(session_for(transport, sim), on_push=on_push):
        sim.set_property(2, 5, 2)
        async with asyncio.timeout(1):
            await arrived.wait()
    assert got == [PropertyChanged(2, 5, 2, str(sim.did))]


async def test_a_silent_device_is_noticed_and_its_return_too(
    transport: MiioTransport, fleet: Fleet
) -> None:
    sim = fleet.devices[0]
    states: list[tuple[SubscriptionState, DeviceError | None]] = []
    changed = asyncio.Event()

    def on_state(state: SubscriptionState, error: DeviceError | None) -> None:
        states.append((state, error))
        changed.set()

    session = session_for(transport, sim)
    async with Subscription(session, renew_every=0.1, retry_min=0.05, on_state=on_state) as sub:
        assert states == [(SubscriptionState.ACTIVE, None)]
        states.clear()
        changed.clear()
        renewals = sub.renewals
        sim.faults.offline = True
        async with asyncio.timeout(3):
            await changed.wait()
        assert sub.state is SubscriptionState.SILENT
        assert isinstance(states[0][1], DeviceTimeout)
        changed.clear()
        sim.faults.offline = False
        async with asyncio.timeout(3):
            await changed.wait()
        assert sub.state is SubscriptionState.ACTIVE
        assert sub.renewals > renewals
    assert [s for s, _ in states] == [
        SubscriptionState.SILENT,
        SubscriptionState.ACTIVE,
        SubscriptionState.CLOSED,
    ]
    assert sim.server.subscribers.expiry == {}  # we unsubscribed on the way out


async def test_a_reboot_resubscribes_at_once(transport: MiioTransport, fleet: Fleet) -> None:
    sim = fleet.devices[0]
    sim.identity.booted_at -= 100  # up for a while: a reboot sets its clock back
    session = session_for(transport, sim)
    async with Subscription(session, renew_every=30) as pushes:
        assert pushes.renewals == 1
        sim.reboot()  # subscriptions are lost
        assert sim.server.subscribers.expiry == {}
        await session.info()  # any request notices the reboot
        assert session.reboots == 1
        await until(lambda: sim.server.subscribers.expiry)
        assert pushes.renewals == 2
        sim.set_property(2, 2, True)
        assert await next_push(pushes) == PropertyChanged(2, 2, True, str(sim.did))


async def test_a_refused_subscription_raises_and_leaves_no_handler(
    transport: MiioTransport,
) -> None:
    def refuse(request: dict[str, Any]) -> list[Reply]:
        return [{"id": request["id"], "error": {"code": -32601, "message": "unknown"}}]

    async with ScriptedDevice("127.0.0.92", TOKEN, refuse) as device:
        session = transport.session(device.host, TOKEN, port=device.port)
        with pytest.raises(DeviceError, match="unknown"):
            async with Subscription(session):
                pass
    assert session.on_request is None


async def test_device_requests_are_acked_even_without_a_subscriber(
    transport: MiioTransport,
) -> None:
    async with ScriptedDevice("127.0.0.93", TOKEN) as device:
        session = transport.session(device.host, TOKEN, port=device.port)
        await session.send("ping")
        push = {"id": 77, "method": "properties_changed", "params": []}
        device.send(push)
        device.send(push)
        await until(lambda: len(device.acks) == 2)
    assert device.acks == [{"id": 77, "result": ["ok"]}] * 2
    assert (transport.stats.pushes, transport.stats.duplicate_pushes) == (1, 1)


def test_decoding_skips_what_is_not_a_push() -> None:
    assert decode_push({"method": "properties_changed", "params": "x"}) == []
    assert decode_push({"method": "props", "params": []}) == []
    items = [{"siid": 2, "piid": 1, "value": 1}, {"siid": "2"}, 5]
    assert decode_push({"method": "properties_changed", "params": items}) == [
        PropertyChanged(2, 1, 1, "")
    ]
    event = {"did": "9", "siid": 5, "eiid": 1, "arguments": [{"piid": 1, "value": 2}, 3]}
    assert decode_push({"method": "event_occured", "params": event}) == [
        EventOccurred(5, 1, ({"piid": 1, "value": 2},), "9")
    ]
    assert decode_push({"method": "event_occured", "params": {"siid": 5}}) == []


async def test_a_failing_push_handler_leaves_the_socket_working(
    transport: MiioTransport, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(session: MiioSession, payload: dict[str, Any]) -> None:
        raise ValueError("bug in a handler")

    async with ScriptedDevice("127.0.0.94", TOKEN) as device:
        session = transport.session(device.host, TOKEN, port=device.port)
        session.on_request = broken
        await session.send("ping")
        device.send({"id": 5, "method": "properties_changed", "params": []})
        await until(lambda: device.acks)
        assert await session.send("ping") == ["ok"]
    assert "the push handler failed" in caplog.text
    assert device.acks == [{"id": 5, "result": ["ok"]}]
