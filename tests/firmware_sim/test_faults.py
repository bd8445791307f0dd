"""Faults switched on while a device runs: loss, latency, offline, reboot, token change,
slow and busy replies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from firmware_sim.fleet import DeviceConfig, Fleet, SimulatedDevice
from tests.firmware_sim.wire import RawClient
from tests.loopback import free_host
from tests.waiting import until

SILENCE = 0.25


@pytest.fixture
async def purifier() -> AsyncIterator[SimulatedDevice]:
    config = DeviceConfig("zhimi.airpurifier.mb3", free_host(), port=0)
    async with Fleet([config], tick=60.0) as fleet:
        yield fleet.devices[0]


@pytest.fixture
async def client(purifier: SimulatedDevice) -> AsyncIterator[RawClient]:
    async with RawClient(purifier.host, purifier.port, purifier.token) as raw:
        yield raw


async def test_packet_loss_drops_about_the_share_asked(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    purifier.faults.loss = 0.5
    purifier.faults.rng.seed(1)
    answered = 0
    for _ in range(40):
        answered += await client.hello(0.05) is not None
    assert 10 <= answered <= 30
    purifier.faults.loss = 0.0
    assert await client.hello() is not None


async def test_latency_delays_every_answer(client: RawClient, purifier: SimulatedDevice) -> None:
    purifier.faults.latency = 0.15
    loop = asyncio.get_running_loop()
    start = loop.time()
    assert await client.hello() is not None
    assert await client.request(1, "miIO.info") is not None
    assert loop.time() - start >= 0.3


async def test_slow_replies_come_after_the_client_gave_up(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    purifier.faults.slow_reply = 0.4
    assert await client.hello(0.1) is not None  # the hello stays quick
    assert await client.request(1, "miIO.info", timeout=0.2) is None
    late = await client.receive(0.5)
    assert late is not None  # it does come, late


async def test_offline_answers_nothing_not_even_hello(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    purifier.faults.offline = True
    assert await client.hello(SILENCE) is None
    assert await client.request(1, "miIO.info", timeout=SILENCE) is None
    purifier.faults.offline = False
    assert await client.hello() is not None
    assert await client.request(2, "miIO.info") is not None


async def test_a_reply_due_when_the_device_goes_offline_never_comes(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    purifier.faults.slow_reply = 0.1
    client.send_raw(client.packet(1, "miIO.info"))
    await asyncio.sleep(0.02)  # the behaviour: the request is in, its reply is not yet due
    purifier.faults.offline = True
    assert await client.receive(SILENCE) is None


async def test_busy_replies_are_the_firmware_busy_error(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    purifier.faults.busy_replies = 1
    busy = await client.request(1, "miIO.info")
    assert busy is not None
    assert busy["error"]["code"] == -9999
    assert await client.request(2, "miIO.info") is not None


async def test_reboot_restarts_the_stamp_and_forgets_subscriptions_and_ids(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    purifier.identity.booted_at -= 500  # up for a while
    up = await client.hello()
    assert up is not None
    assert up[1] >= 500
    client.stamp = up[1]
    await client.result(1, "miIO.sub")
    purifier.reboot()
    assert purifier.server.subscribers.expiry == {}
    # The old stamp is far from the new clock: ignored until the client says hello again.
    assert await client.request(2, "miIO.info", timeout=SILENCE) is None
    hello = await client.hello()
    assert hello is not None
    assert hello[1] == 0
    client.stamp = hello[1]
    assert await client.request(1, "miIO.info") is not None  # id 1 is new again
    purifier.set_property(2, 2, True)
    assert await client.pushes(SILENCE) == []  # the subscription went with the reboot


async def test_a_reboot_with_downtime_is_offline_first(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    purifier.reboot(downtime=0.3)
    assert await client.hello(0.1) is None
    await until(lambda: purifier.faults.offline is False, 2)  # back after its downtime
    hello = await client.hello()
    assert hello is not None
    assert hello[1] == 0
    assert purifier.faults.offline is False


async def test_token_change_silences_the_old_token(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    old = purifier.token
    new = purifier.change_token()
    assert new != old
    assert len(new) == 32
    int(new, 16)
    assert await client.request(1, "miIO.info", timeout=SILENCE) is None
    client.token = new
    assert await client.request(2, "miIO.info") is not None
    assert purifier.change_token("00112233445566778899aabbccddeeff") == (
        "00112233445566778899aabbccddeeff"
    )
    with pytest.raises(ValueError, match="32 hex"):
        purifier.change_token("not-a-token")


def test_faults_clear_back_to_healthy() -> None:
    device = SimulatedDevice(DeviceConfig("yeelink.light.color2", free_host()))
    faults = device.faults
    faults.loss, faults.latency, faults.offline, faults.slow_reply = 1.0, 1.0, True, 1.0
    faults.busy_replies = 3
    faults.clear()
    assert (faults.loss, faults.latency, faults.offline, faults.slow_reply) == (0, 0, False, 0)
    assert faults.busy_replies == 0
    assert not faults.drops()
