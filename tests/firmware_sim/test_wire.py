"""The simulated firmware on the wire: what it answers, refuses and ignores, like real ones."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from firmware_sim.fleet import DeviceConfig, Fleet, SimulatedDevice
from hub.devices.miio import codec
from tests.firmware_sim.wire import RawClient


@pytest.fixture
async def purifier() -> AsyncIterator[SimulatedDevice]:
    async with Fleet([DeviceConfig("zhimi.airpurifier.mb3", "127.0.0.90", port=0)]) as fleet:
        yield fleet.devices[0]


@pytest.fixture
async def client(purifier: SimulatedDevice) -> AsyncIterator[RawClient]:
    async with RawClient(purifier.host, purifier.port, purifier.token) as raw:
        yield raw


async def test_hello_reply_masks_the_token(purifier: SimulatedDevice) -> None:
    async with RawClient(purifier.host, purifier.port, purifier.token) as raw:
        raw.send_raw(codec.HELLO)
        data = await raw.receive()
    assert data is not None
    assert len(data) == 32
    assert data[16:] == b"\xff" * 16
    assert int.from_bytes(data[8:12], "big") == purifier.did


async def test_more_than_fifteen_properties_are_refused(client: RawClient) -> None:
    props = [{"did": str(client.did), "siid": 2, "piid": 2}] * 16
    reply = await client.request(1, "get_properties", props)
    assert reply is not None
    assert reply["error"]["code"] == -5001


async def test_unknown_property_gets_minus_4003(client: RawClient) -> None:
    reply = await client.request(1, "get_properties", [{"did": "x", "siid": 42, "piid": 1}])
    assert reply is not None
    assert reply["result"] == [{"did": "x", "siid": 42, "piid": 1, "code": -4003}]


async def test_values_are_checked_against_the_spec(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    params = [
        {"did": "x", "siid": 10, "piid": 10, "value": 15},  # favorite level is 0..14
        {"did": "x", "siid": 2, "piid": 2, "value": "on"},  # a bool
        {"did": "x", "siid": 3, "piid": 6, "value": 3},  # PM2.5 is read-only
        {"did": "x", "siid": 10, "piid": 10, "value": 14},
    ]
    reply = await client.request(1, "set_properties", params)
    assert reply is not None
    assert [r["code"] for r in reply["result"]] == [-4005, -4005, -4002, 0]
    assert purifier.get_property(10, 10) == 14


async def test_a_repeated_message_id_is_ignored(client: RawClient) -> None:
    assert await client.request(7, "miIO.info") is not None
    assert await client.request(7, "miIO.info", timeout=0.3) is None
    assert await client.request(8, "miIO.info") is not None


async def test_a_wrong_token_gets_no_reply(client: RawClient) -> None:
    packet = client.packet(1, "miIO.info", token="00" * 16)
    client.send_raw(packet)
    assert await client.receive(0.3) is None


async def test_a_stamp_far_from_the_device_clock_is_ignored(client: RawClient) -> None:
    assert await client.request(1, "miIO.info", stamp=client.stamp + 3600, timeout=0.3) is None


async def pushes(client: RawClient, seconds: float) -> list[dict[str, object]]:
    """Every push the device sends within ``seconds`` (the purifier also pushes PM2.5)."""
    found = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        data = await client.receive(left)
        if data is None:
            break
        payload = codec.parse(client.token, data).payload
        assert payload is not None
        found.append(payload)
    return found


async def test_push_is_resent_until_acknowledged(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    assert await client.request(1, "miIO.sub", {"expire": 60}) is not None
    purifier.set_property(7, 1, True)  # child lock: nothing else changes it
    expected = [{"did": str(purifier.did), "siid": 7, "piid": 1, "value": True}]
    seen = [p for p in await pushes(client, 1.3) if p["params"] == expected]
    assert len(seen) >= 2, "sent, then resent while unacknowledged"
    assert {p["method"] for p in seen} == {"properties_changed"}
    assert len({p["id"] for p in seen}) == 1, "a resend keeps its message id"
    client.ack(int(str(seen[0]["id"])))
    later = [p for p in await pushes(client, 1.3) if p["params"] == expected]
    assert later == []


async def test_reboot_restarts_the_stamp_and_drops_subscriptions(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    assert await client.request(1, "miIO.sub") is not None
    await client.request(2, "miIO.info")
    purifier.reboot()
    hello = await client.hello()
    assert hello is not None
    assert hello.stamp == 0
    purifier.set_property(2, 2, True)
    assert await client.receive(0.3) is None


async def test_token_change_silences_the_old_token(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    old = purifier.token
    new = purifier.change_token()
    assert new != old
    assert await client.request(1, "miIO.info", timeout=0.3) is None
    client.token = new
    assert await client.request(2, "miIO.info") is not None


async def test_offline_answers_nothing_not_even_hello(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    purifier.faults.offline = True
    assert await client.hello(0.3) is None
    purifier.faults.offline = False
    assert await client.hello() is not None


async def test_slow_replies_and_latency_delay_the_answer(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    purifier.faults.slow_reply = 0.6
    assert await client.request(1, "miIO.info", timeout=0.3) is None
    assert await client.receive(0.6) is not None  # it does come, late


async def test_packet_loss_drops_about_the_share_asked(purifier: SimulatedDevice) -> None:
    async with RawClient(purifier.host, purifier.port, purifier.token) as raw:
        purifier.faults.loss = 0.5
        purifier.faults.rng.seed(1)
        answered = 0
        for _ in range(40):
            answered += await raw.hello(0.1) is not None
    assert 8 <= answered <= 32
