"""The simulated firmware on the wire: what it answers, refuses and ignores, like real ones."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from firmware_sim.fleet import DeviceConfig, Fleet, SimulatedDevice
from tests.firmware_sim.wire import HELLO, RawClient
from tests.loopback import free_hosts

MODELS = ["zhimi.airpurifier.mb3", "yeelink.light.color2", "chuangmi.camera.ipc019"]
SILENCE = 0.25  # how long a test waits to call a device silent


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    configs = [
        DeviceConfig(model, host, port=0, snapshot_port=0)
        for model, host in zip(MODELS, free_hosts(len(MODELS)), strict=True)
    ]
    async with Fleet(configs, tick=60.0) as running:
        yield running


@pytest.fixture
def purifier(fleet: Fleet) -> SimulatedDevice:
    return fleet.devices[0]


@pytest.fixture
async def client(purifier: SimulatedDevice) -> AsyncIterator[RawClient]:
    async with RawClient(purifier.host, purifier.port, purifier.token) as raw:
        yield raw


async def test_hello_reply_carries_id_and_stamp_and_masks_the_token(
    purifier: SimulatedDevice,
) -> None:
    async with RawClient(purifier.host, purifier.port, purifier.token) as raw:
        raw.send_raw(HELLO)
        data = await raw.receive()
    assert data is not None
    assert len(data) == 32
    assert data[:4] == bytes.fromhex("21310020")
    assert int.from_bytes(data[8:12], "big") == purifier.did
    assert int.from_bytes(data[12:16], "big") == purifier.identity.stamp
    assert data[16:] == b"\xff" * 16


async def test_info_looks_like_a_provisioned_device(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    info = await client.result(1, "miIO.info")
    assert info["model"] == "zhimi.airpurifier.mb3"
    assert info["mac"] == purifier.mac
    assert info["fw_ver"] == purifier.identity.fw_ver
    assert info["hw_ver"]
    assert info["netif"] == {"localIp": purifier.host, "mask": "255.255.255.0", "gw": "127.0.0.1"}
    assert set(info["ap"]) >= {"ssid", "bssid", "rssi"}
    assert isinstance(info["life"], int)
    assert "token" not in info


async def test_every_readable_property_reads_a_value_its_spec_allows(fleet: Fleet) -> None:
    for device in fleet.devices:
        if device.table.dialect == "legacy":
            names = [p.name for p in device.table.props]
            async with RawClient(device.host, device.port, device.token) as raw:
                values = await raw.result(1, "get_prop", [*names[:-1], "no_such_name"])
                values += await raw.result(2, "get_prop", names[-1:])
            assert values[-2] is None  # an unknown name reads as null, as on real firmware
            del values[-2]
            for prop, value in zip(device.table.props, values, strict=True):
                prop.decode(value)  # raises when the value does not fit the table
            continue
        props = list(device.dialect.spec.props.values())  # type: ignore[union-attr]
        async with RawClient(device.host, device.port, device.token) as raw:
            results = []
            for start in range(0, len(props), 15):
                batch = props[start : start + 15]
                params = [{"did": "x", "siid": p.siid, "piid": p.piid} for p in batch]
                results += await raw.result(start + 1, "get_properties", params)
        for prop, item in zip(props, results, strict=True):
            assert item["code"] == 0, (device.model, prop)
            assert prop.check_value(item["value"]) == 0, (device.model, prop, item["value"])


async def test_get_answers_each_property_with_its_own_code(client: RawClient) -> None:
    params = [
        {"did": "power", "siid": 2, "piid": 2},
        {"did": "nope", "siid": 42, "piid": 1},
        {"did": "mode", "siid": 2, "piid": 5},
    ]
    result = await client.result(1, "get_properties", params)
    assert result == [
        {"did": "power", "siid": 2, "piid": 2, "code": 0, "value": False},
        {"did": "nope", "siid": 42, "piid": 1, "code": -4003},
        {"did": "mode", "siid": 2, "piid": 5, "code": 0, "value": 0},
    ]


async def test_values_are_checked_against_the_spec(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    params = [
        {"did": "x", "siid": 10, "piid": 10, "value": 15},  # favorite level is 0..14
        {"did": "x", "siid": 2, "piid": 2, "value": "on"},  # a bool
        {"did": "x", "siid": 3, "piid": 6, "value": 3},  # PM2.5 is read-only
        {"did": "x", "siid": 2, "piid": 5, "value": 7},  # not in the mode's value list
        {"did": "x", "siid": 10, "piid": 7, "value": 1005},  # motor speed steps by 10
        {"did": "x", "siid": 5, "piid": 2, "value": 2.5},  # volume is a uint8
        {"did": "x", "siid": 99, "piid": 1, "value": 1},  # no such property
        {"did": "x", "siid": 2, "piid": 2},  # no value at all
        {"did": "x", "siid": 10, "piid": 10, "value": 14},
    ]
    result = await client.result(1, "set_properties", params)
    codes = [r["code"] for r in result]
    assert codes == [-4005, -4005, -4002, -4005, -4005, -4005, -4003, -4005, 0]
    assert all("value" not in r for r in result)
    assert purifier.get_property(10, 10) == 14


async def test_a_write_sets_off_what_the_device_would_do(fleet: Fleet) -> None:
    purifier, light = fleet.devices[0], fleet.devices[1]
    async with RawClient(purifier.host, purifier.port, purifier.token) as raw:
        await raw.result(1, "set_properties", [{"did": "x", "siid": 2, "piid": 4, "value": 3}])
        await raw.result(2, "set_properties", [{"did": "x", "siid": 2, "piid": 2, "value": True}])
    assert purifier.get_property(2, 5) == 3  # a fan level means manual mode
    assert purifier.get_property(10, 8) == 2000  # and the motor turns at once
    async with RawClient(light.host, light.port, light.token) as raw:
        assert await raw.result(1, "set_rgb", [255]) == ["ok"]
        assert light.get_property("color_mode") == "1"  # colour mode
        assert await raw.result(2, "set_ct_abx", [2700, "sudden", 0]) == ["ok"]
        assert light.get_property("color_mode") == "2"  # colour temperature mode


async def test_more_than_fifteen_properties_are_refused(client: RawClient) -> None:
    props = [{"did": str(client.did), "siid": 2, "piid": 2}] * 16
    reply = await client.request(1, "get_properties", props)
    assert reply is not None
    assert reply["error"]["code"] == -5001
    assert "result" not in reply
    fifteen = await client.result(2, "get_properties", props[:15])
    assert len(fifteen) == 15


async def test_legacy_setters_and_actions_check_their_arguments(fleet: Fleet) -> None:
    light = fleet.devices[1]
    async with RawClient(light.host, light.port, light.token) as raw:
        toggled = await raw.result(1, "toggle", [])
        bad_value = await raw.request(2, "set_power", ["maybe"])
        out_of_range = await raw.request(3, "set_bright", [101])
        bad_literal = await raw.request(4, "set_ct_abx", [3000, 5, 500])
        unknown = await raw.request(5, "set_scene", ["color", 255, 100])
        too_many = await raw.request(6, "get_prop", ["power"] * 26)
    assert toggled == ["ok"]
    assert light.get_property("power") == "on"
    for reply in (bad_value, out_of_range, bad_literal):
        assert reply is not None
        assert reply["error"]["code"] == -5001, reply
    assert unknown is not None
    assert unknown["error"] == {"code": -32601, "message": "Method not found."}
    assert too_many is not None
    assert too_many["error"]["code"] == -5001  # more than the bulb's 25 names


async def test_an_unknown_method_gets_method_not_found(client: RawClient) -> None:
    reply = await client.request(1, "get_prop", ["power"])
    assert reply is not None
    assert reply["error"]["code"] == -32601


async def test_a_repeated_message_id_is_ignored_from_the_same_client_only(
    client: RawClient, purifier: SimulatedDevice
) -> None:
    assert await client.request(7, "miIO.info") is not None
    assert await client.request(7, "miIO.info", timeout=SILENCE) is None
    assert await client.request(8, "miIO.info") is not None
    async with RawClient(purifier.host, purifier.port, purifier.token) as other:
        assert await other.request(7, "miIO.info") is not None  # another port: another client


async def test_a_wrong_token_gets_no_reply(client: RawClient, purifier: SimulatedDevice) -> None:
    client.send_raw(client.packet(1, "miIO.info", token="00" * 16))
    assert await client.receive(SILENCE) is None
    assert purifier.server.ignored == 1
    assert await client.request(1, "miIO.info") is not None  # the id was not used up


async def test_a_stamp_far_from_the_device_clock_is_ignored(client: RawClient) -> None:
    assert await client.request(1, "miIO.info", stamp=client.stamp + 3600, timeout=SILENCE) is None
    assert await client.request(2, "miIO.info", stamp=client.stamp + 30) is not None


async def test_noise_gets_no_reply_and_breaks_nothing(client: RawClient) -> None:
    client.send_raw(b"\x00" * 32)
    client.send_raw(b"hello?")
    client.send_raw(b"\x21\x31" + b"\x00" * 60)
    assert await client.receive(SILENCE) is None
    assert await client.request(1, "miIO.info") is not None
