"""MIoT calls (properties, actions, info) against the simulated firmware, on the wire."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from firmware_sim.fleet import DeviceConfig, Fleet
from hub.devices.miio.dialects.dialect import Pushed
from hub.devices.miio.dialects.miot import (
    MAX_PROPERTIES,
    MiotDialect,
    action,
    get_properties,
    set_properties,
)
from hub.devices.miio.features import derive_features
from hub.devices.miio.spec import load_spec
from hub.devices.miio.wire.transport import MiioSession, MiioTransport, RetryPolicy
from hub.errors import ProtocolError
from tests.devices.miio.scripted import Reply, ScriptedDevice
from tests.loopback import free_host, free_hosts

FAST = RetryPolicy(timeout=0.1, retries=2, backoff=0.01)
TOKEN = "00112233445566778899aabbccddeeff"


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    purifier, other = free_hosts(2)
    configs = [
        DeviceConfig("zhimi.airpurifier.mb3", purifier, port=0),
        DeviceConfig("zhimi.airpurifier.ma4", other, port=0),
    ]
    async with Fleet(configs) as fleet:
        yield fleet


@pytest.fixture
async def transport() -> AsyncIterator[MiioTransport]:
    async with MiioTransport(("127.0.0.1", 0), policy=FAST) as transport:
        yield transport


def sessions(transport: MiioTransport, fleet: Fleet) -> list[MiioSession]:
    return [transport.session(d.host, d.token, port=d.port) for d in fleet.devices]


async def test_info_names_the_model(transport: MiioTransport, fleet: Fleet) -> None:
    purifier, other = sessions(transport, fleet)
    assert (await purifier.info())["model"] == "zhimi.airpurifier.mb3"
    assert (await other.info())["model"] == "zhimi.airpurifier.ma4"


async def test_get_properties_reads_the_firmware_state(
    transport: MiioTransport, fleet: Fleet
) -> None:
    purifier, _ = sessions(transport, fleet)
    sim = fleet.devices[0]
    sim.set_property(2, 4, 3)
    result = await get_properties(purifier, [(2, 2), (2, 4), (3, 6)])
    assert [(r["siid"], r["piid"], r["code"]) for r in result] == [(2, 2, 0), (2, 4, 0), (3, 6, 0)]
    assert result[0]["value"] is False
    assert result[1]["value"] == 3
    assert result[2]["value"] == sim.get_property(3, 6)


async def test_more_than_15_properties_go_in_batches_with_codes_kept(
    transport: MiioTransport, fleet: Fleet
) -> None:
    purifier, _ = sessions(transport, fleet)
    sim = fleet.devices[0]
    known = [(2, 1), (2, 2), (2, 4), (2, 5), (3, 6), (3, 7), (3, 8), (4, 3), (4, 5), (5, 1)]
    unknown = [(99, p) for p in range(1, 13)]
    props = known + unknown  # 22: two requests
    before = sim.server.requests
    result = await get_properties(purifier, props)
    assert sim.server.requests - before == 2
    assert [(r["siid"], r["piid"]) for r in result] == props
    assert all(r["code"] == 0 for r in result[: len(known)])
    unknown_codes = {r["code"] for r in result[len(known) :]}
    assert len(unknown_codes) == 1  # the device's own code, kept per property
    assert unknown_codes.pop() < 0
    assert len(props) > MAX_PROPERTIES


async def test_set_properties_changes_the_device_and_reports_refusals(
    transport: MiioTransport, fleet: Fleet
) -> None:
    purifier, _ = sessions(transport, fleet)
    sim = fleet.devices[0]
    result = await set_properties(purifier, [(2, 2, True), (10, 10, 5), (10, 10, 1000), (9, 9, 1)])
    codes = [r["code"] for r in result]
    assert codes[:2] == [0, 0]
    assert codes[2] == -4005  # out of range
    assert codes[3] < 0  # no such property
    assert sim.get_property(2, 2) is True
    assert sim.get_property(10, 10) == 5


async def test_set_properties_batches_too(transport: MiioTransport, fleet: Fleet) -> None:
    purifier, _ = sessions(transport, fleet)
    sim = fleet.devices[0]
    before = sim.server.requests
    result = await set_properties(purifier, [(10, 10, b % 15) for b in range(1, 32)])
    assert len(result) == 31
    assert sim.server.requests - before == 3
    assert sim.get_property(10, 10) == 31 % 15


@pytest.mark.parametrize(
    ("result", "call"),
    [
        ({"not": "a list"}, "get"),
        ([1, 2], "get"),
        ("teapot", "action"),
        (["ok"], "info"),
    ],
)
async def test_a_reply_of_the_wrong_shape_is_a_protocol_error(
    transport: MiioTransport, result: Any, call: str
) -> None:
    def answer(request: dict[str, Any]) -> list[Reply]:
        return [{"id": request["id"], "result": result}]

    async with ScriptedDevice(free_host(), TOKEN, answer) as device:
        session = transport.session(device.host, TOKEN, port=device.port)
        calls = {
            "get": lambda: get_properties(session, [(2, 1)]),
            "action": lambda: action(session, 2, 1),
            "info": session.info,
        }
        with pytest.raises(ProtocolError, match="returned"):
            await calls[call]()


async def test_requests_carry_the_did_and_mihome_shapes(transport: MiioTransport) -> None:
    async with ScriptedDevice(free_host(), TOKEN, did=4242) as device:
        session = transport.session(device.host, TOKEN, port=device.port)
        device.script = lambda r: [{"id": r["id"], "result": [{"code": 0}]}]
        await get_properties(session, [(2, 1)])
        await set_properties(session, [(2, 1, True)])
        device.script = lambda r: [{"id": r["id"], "result": {"code": 0}}]
        await action(session, 3, 4, ["x"])
    get, put, act = device.requests
    assert get["method"] == "get_properties"
    assert get["params"] == [{"did": "4242", "siid": 2, "piid": 1}]
    assert put["params"] == [{"did": "4242", "siid": 2, "piid": 1, "value": True}]
    assert act["method"] == "action"
    assert act["params"] == {"did": "4242", "siid": 3, "aiid": 4, "in": ["x"]}


def test_pushes_become_feature_values_and_events_skipping_what_is_not_one() -> None:
    purifier = MiotDialect(derive_features(load_spec("zhimi.airpurifier.mb3")))
    assert purifier.pushed({"method": "properties_changed", "params": "x"}) == Pushed()
    assert purifier.pushed({"method": "props", "params": []}) == Pushed()
    items = [{"siid": 2, "piid": 2, "value": True}, {"siid": "2"}, 5]
    pushed = purifier.pushed({"method": "properties_changed", "params": items})
    assert pushed.values == {"power": True}
    event = {"did": "9", "siid": 2, "eiid": 1, "arguments": [{"piid": 1, "value": 2}, 3]}
    assert purifier.pushed({"method": "event_occured", "params": event}).events == [
        ("fault_event", {"arguments": {"1": 2}})
    ]
    assert purifier.pushed({"method": "event_occured", "params": {"siid": 2}}) == Pushed()
