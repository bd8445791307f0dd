"""Pushes on the wire: every copy acknowledged, each request id handed on once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from firmware_sim.fleet import DeviceConfig, Fleet
from hub.devices.miio.wire.transport import MiioSession, MiioTransport, RetryPolicy
from tests.devices.miio.scripted import ScriptedDevice
from tests.mqtt_broker import until

FAST = RetryPolicy(timeout=0.1, retries=2, backoff=0.01)
TOKEN = "00112233445566778899aabbccddeeff"


@pytest.fixture
async def transport() -> AsyncIterator[MiioTransport]:
    async with MiioTransport(("127.0.0.1", 0), policy=FAST) as transport:
        yield transport


async def subscribed(transport: MiioTransport, fleet: Fleet) -> tuple[MiioSession, list[Any]]:
    sim = fleet.devices[0]
    session = transport.session(sim.host, sim.token, port=sim.port)
    got: list[dict[str, Any]] = []
    session.on_request = lambda _, payload: got.append(payload)
    await session.send("miIO.sub", {"expire": 60})
    return session, got


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    config = DeviceConfig("zhimi.airpurifier.mb3", "127.0.0.1", port=0)
    async with Fleet([config], tick=60.0) as fleet:
        yield fleet


async def test_a_push_is_delivered_once_and_acked(transport: MiioTransport, fleet: Fleet) -> None:
    sim = fleet.devices[0]
    _, got = await subscribed(transport, fleet)
    sim.set_property(2, 2, True)
    await until(lambda: got, 2)
    assert got[0]["method"] == "properties_changed"
    assert got[0]["params"][0] | {"did": ""} == {"did": "", "siid": 2, "piid": 2, "value": True}
    await until(lambda: sim.server.subscribers.acked == 1, 2)
    assert sim.server.subscribers.pending == {}  # our ack reached it: no resends
    assert transport.stats.duplicate_pushes == 0


async def test_a_resent_push_is_acked_again_but_delivered_once(
    transport: MiioTransport, fleet: Fleet
) -> None:
    sim = fleet.devices[0]
    _, got = await subscribed(transport, fleet)
    sim.faults.loss = 1.0  # the device does not hear our ack...
    sim.set_property(2, 2, True)
    await until(lambda: got, 2)
    await asyncio.sleep(0.05)  # (the device reads, and loses, our ack)
    assert sim.server.subscribers.acked == 0
    sim.faults.loss = 0.0  # ...so it resends (after 1 s), and hears this ack
    await until(lambda: sim.server.subscribers.acked == 1, 3)
    assert transport.stats.duplicate_pushes == 1
    assert len(got) == 1


async def test_device_requests_are_acked_even_without_a_handler(
    transport: MiioTransport,
) -> None:
    async with ScriptedDevice("127.0.0.1", TOKEN) as device:
        session = transport.session(device.host, TOKEN, port=device.port)
        await session.send("ping")
        push = {"id": 77, "method": "properties_changed", "params": []}
        device.send(push)
        device.send(push)
        await until(lambda: len(device.acks) == 2, 2)
    assert device.acks == [{"id": 77, "result": ["ok"]}] * 2
    assert (transport.stats.pushes, transport.stats.duplicate_pushes) == (1, 1)


async def test_a_failing_push_handler_leaves_the_socket_working(
    transport: MiioTransport, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(session: MiioSession, payload: dict[str, Any]) -> None:
        raise ValueError("bug in a handler")

    async with ScriptedDevice("127.0.0.1", TOKEN) as device:
        session = transport.session(device.host, TOKEN, port=device.port)
        session.on_request = broken
        await session.send("ping")
        device.send({"id": 5, "method": "properties_changed", "params": []})
        await until(lambda: device.acks, 2)
        assert await session.send("ping") == ["ok"]
    assert "the push handler failed" in caplog.text
    assert device.acks == [{"id": 5, "result": ["ok"]}]
