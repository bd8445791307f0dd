"""Push: miIO.sub, properties_changed and event_occured, resent until acknowledged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from firmware_sim.fleet import DeviceConfig, Fleet, SimulatedDevice
from tests.firmware_sim.wire import RawClient
from tests.loopback import free_hosts

SILENCE = 0.25


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    purifier, camera = free_hosts(2)
    configs = [
        DeviceConfig("zhimi.airpurifier.mb3", purifier, port=0),
        DeviceConfig("chuangmi.camera.ipc019", camera, port=0, snapshot_port=0),
    ]
    async with Fleet(configs, tick=60.0) as running:
        yield running


@pytest.fixture
def purifier(fleet: Fleet) -> SimulatedDevice:
    return fleet.devices[0]


@pytest.fixture
async def client(purifier: SimulatedDevice) -> AsyncIterator[RawClient]:
    async with RawClient(purifier.host, purifier.port, purifier.token) as raw:
        assert await raw.result(1, "miIO.sub", {"expire": 60}) == ["ok"]
        yield raw


async def test_a_change_is_pushed_from_the_device_and_resent_until_acked(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    purifier.set_property(7, 1, True)  # child lock: nothing else changes it
    pushes = await client.pushes(1.2)
    assert len(pushes) == 2, "sent, then resent a second later while unacknowledged"
    first, resent = pushes
    assert first.did == purifier.did
    assert abs(first.stamp - purifier.identity.stamp) <= 1
    assert first.payload == {
        "id": first.payload["id"],
        "method": "properties_changed",
        "params": [{"did": str(purifier.did), "siid": 7, "piid": 1, "value": True}],
    }
    assert resent.payload == first.payload, "a resend keeps its message id"
    client.ack(first.payload["id"])
    assert await client.pushes(1.2) == []
    assert purifier.server.subscribers.acked == 1
    assert purifier.server.subscribers.pending == {}


async def test_an_unacknowledged_push_is_given_up_after_five_resends(
    client: RawClient, purifier: SimulatedDevice, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("firmware_sim.miio.push.RESEND_AFTER", 0.02)
    purifier.set_property(7, 1, True)
    pushes = await client.pushes(0.4)
    assert len(pushes) == 6
    assert len({p.payload["id"] for p in pushes}) == 1
    assert purifier.server.subscribers.pending == {}
    assert purifier.server.subscribers.dropped == 1


async def test_changes_in_one_turn_travel_together_latest_value_only(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    purifier.set_property(7, 1, True)
    purifier.set_property(5, 2, 10)
    purifier.set_property(7, 1, False)
    purifier.set_property(2, 1, 0)  # unchanged: not reported
    (push,) = await client.pushes(SILENCE)
    did = str(purifier.did)
    assert push.payload["params"] == [
        {"did": did, "siid": 5, "piid": 2, "value": 10},
        {"did": did, "siid": 7, "piid": 1, "value": False},
    ]


async def test_a_set_from_another_client_is_pushed_to_the_subscriber(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    async with RawClient(purifier.host, purifier.port, purifier.token) as other:
        params = [{"did": "x", "siid": 2, "piid": 2, "value": True}]
        assert (await other.result(1, "set_properties", params))[0]["code"] == 0
        assert await other.pushes(SILENCE) == []  # it did not subscribe
    (push,) = await client.pushes(SILENCE)
    changed = {(p["siid"], p["piid"]): p["value"] for p in push.payload["params"]}
    assert changed[(2, 2)] is True
    assert changed[(10, 8)] > 0  # the motor started too


async def test_a_legacy_camera_refuses_subscriptions_and_pushes_nothing(fleet: Fleet) -> None:
    camera = fleet.devices[1]
    assert camera.table.dialect == "legacy"
    async with RawClient(camera.host, camera.port, camera.token) as raw:
        refused = await raw.request(1, "miIO.sub")
        assert refused is not None
        assert refused["error"]["code"] == -32601
        assert camera.use_cases.motion()  # recorded on the camera, not reported on the LAN
        camera.set_property("power", "off")
        assert await raw.pushes(SILENCE) == []


async def test_a_purifier_fault_is_a_state_change_then_an_event(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    purifier.use_cases.motor_stuck()
    first, second = await client.pushes(SILENCE)
    assert first.payload["method"] == "properties_changed"
    assert {"siid": 2, "piid": 1, "value": 2} in [
        {k: p[k] for k in ("siid", "piid", "value")} for p in first.payload["params"]
    ]
    assert second.payload["method"] == "event_occured"
    assert second.payload["params"]["arguments"] == [{"piid": 1, "value": 2}]


async def test_unsub_and_expiry_end_the_pushes(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    assert await client.result(2, "miIO.unsub") == ["ok"]
    purifier.set_property(7, 1, True)
    assert await client.pushes(SILENCE) == []
    await client.result(3, "miIO.sub", {"expire": 0.1})
    await asyncio.sleep(0.15)  # the behaviour: the subscription's 0.1 s run out
    purifier.set_property(7, 1, False)
    assert await client.pushes(SILENCE) == []
    assert purifier.server.subscribers.expiry == {}


async def test_nothing_is_pushed_while_offline(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    purifier.faults.offline = True
    purifier.set_property(7, 1, True)
    assert await client.pushes(SILENCE) == []
