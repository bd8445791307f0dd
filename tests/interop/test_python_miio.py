"""The referee: python-miio's own, unmodified client talks to every simulated model.

If python-miio can talk to our firmware, the wire is right; this guards against the hub and
the simulator sharing one mistake.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import miio
import pytest
from miio.integrations.airpurifier.zhimi.airpurifier_miot import OperationMode

from firmware_sim.fleet import DeviceConfig, Fleet, SimulatedDevice

pytestmark = pytest.mark.interop

MODELS = ["zhimi.airpurifier.mb3", "yeelink.light.color2", "chuangmi.camera.ipc019"]


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    configs = [
        DeviceConfig(model, f"127.0.0.{30 + i}", snapshot_port=0) for i, model in enumerate(MODELS)
    ]
    async with Fleet(configs) as running:
        yield running


def client(device: SimulatedDevice) -> miio.Device:
    return miio.Device(device.host, device.token, timeout=2)


@pytest.mark.parametrize("index", range(len(MODELS)))
async def test_info_reports_model_and_firmware(fleet: Fleet, index: int) -> None:
    device = fleet.devices[index]
    info = await asyncio.to_thread(lambda: client(device).info())
    assert info.model == device.model
    assert info.firmware_version == device.identity.fw_ver
    assert info.mac_address == device.mac


@pytest.mark.parametrize(
    ("index", "siid", "piid", "value"),
    [(0, 2, 5, 1), (1, 2, 3, 42), (2, 5, 1, False)],
)
async def test_raw_get_and_set_properties(
    fleet: Fleet, index: int, siid: int, piid: int, value: object
) -> None:
    device = fleet.devices[index]
    did = str(device.did)

    def exchange() -> tuple[object, object]:
        dev = client(device)
        setter = dev.send(
            "set_properties", [{"did": did, "siid": siid, "piid": piid, "value": value}]
        )
        getter = dev.send("get_properties", [{"did": did, "siid": siid, "piid": piid}])
        return setter, getter

    set_reply, get_reply = await asyncio.to_thread(exchange)
    assert set_reply == [{"did": did, "siid": siid, "piid": piid, "code": 0}]
    assert get_reply == [{"did": did, "siid": siid, "piid": piid, "code": 0, "value": value}]
    assert device.get_property(siid, piid) == value


async def test_raw_action_toggles_the_light(fleet: Fleet) -> None:
    light = fleet.devices[1]
    before = light.get_property(2, 1)
    reply = await asyncio.to_thread(
        lambda: client(light).send(
            "action", {"did": str(light.did), "siid": 2, "aiid": 1, "in": []}
        )
    )
    assert reply["code"] == 0
    assert light.get_property(2, 1) is (not before)


async def test_errors_look_like_real_firmware(fleet: Fleet) -> None:
    purifier = fleet.devices[0]
    did = str(purifier.did)

    def exchange() -> object:
        return client(purifier).send(
            "set_properties",
            [
                {"did": did, "siid": 2, "piid": 5, "value": 9},
                {"did": did, "siid": 99, "piid": 1, "value": 1},
                {"did": did, "siid": 3, "piid": 6, "value": 5},
            ],
        )

    reply = await asyncio.to_thread(exchange)
    assert [item["code"] for item in reply] == [-4005, -4003, -4002]  # type: ignore[index]


async def test_air_purifier_miot_status_and_setters(fleet: Fleet) -> None:
    purifier = fleet.devices[0]

    def drive() -> miio.integrations.airpurifier.zhimi.airpurifier_miot.AirPurifierMiotStatus:
        dev = miio.AirPurifierMiot(
            purifier.host, purifier.token, model="zhimi.airpurifier.mb3", timeout=2
        )
        before = dev.status()
        assert before.is_on is False
        assert before.mode is OperationMode.Auto
        assert 0 < before.aqi < 600
        assert 0 <= before.filter_life_remaining <= 100
        dev.on()
        dev.set_mode(OperationMode.Favorite)
        dev.set_favorite_level(11)
        return dev.status()

    after = await asyncio.to_thread(drive)
    assert after.is_on is True
    assert after.mode is OperationMode.Favorite
    assert after.favorite_level == 11
    assert purifier.get_property(2, 2) is True
    assert purifier.get_property(2, 5) == 2
    assert purifier.get_property(10, 10) == 11
