"""The firmware's reading of a MIoT spec: the checks behind every per-property code."""

from __future__ import annotations

from typing import Any

import pytest

from firmware_sim.miio.miot import MiotHandler
from firmware_sim.models.behaviour import Behaviour
from firmware_sim.models.props import MiotProps
from firmware_sim.models.spec import load_model_spec, parse_spec
from firmware_sim.models.state import DeviceState
from firmware_sim.models.table import bundled_models, load_table

SPEC: dict[str, Any] = {
    "type": "urn:miot-spec-v2:device:test:0000A000:acme-t1:1",
    "services": [
        {
            "iid": 2,
            "type": "urn:miot-spec-v2:service:test:00007800:acme-t1:1",
            "properties": [
                {"iid": 1, "type": "urn:x:property:secret:1", "format": "string", "access": ["write"]},
                {"iid": 2, "type": "urn:x:property:temp:1", "format": "float", "access": ["read", "write"], "value-range": [-10, 40, 0.5]},
                {"iid": 3, "type": "urn:x:property:level:1", "format": "int32", "access": ["read", "write"], "value-range": [-5, 5, 1]},
                {"iid": 4, "type": "urn:x:property:count:1", "format": "uint16", "access": ["read", "notify"]},
            ],
            "actions": [{"iid": 1, "type": "urn:x:action:beep:1", "in": [3], "out": []}],
            "events": [{"iid": 1, "type": "urn:x:event:alarm:1", "arguments": [4]}],
        }
    ],
}  # fmt: skip


class Beeper(Behaviour):
    def action(self, feature: str) -> bool:
        return feature == "beep"


@pytest.fixture
def handler() -> MiotHandler:
    spec = parse_spec("acme.test.t1", SPEC)
    props = MiotProps(DeviceState({(2, 2): 20.0, (2, 3): 0, (2, 4): 7}, spec.notifies), spec)
    return MiotHandler(spec, props, Beeper(props))


def codes(handler: MiotHandler, method: str, params: list[dict[str, Any]]) -> list[int]:
    return [item["code"] for item in handler.handle(method, params)["result"]]


def test_a_write_only_property_is_not_readable(handler: MiotHandler) -> None:
    read = [{"did": "d", "siid": 2, "piid": p} for p in (1, 2, 4)]
    assert codes(handler, "get_properties", read) == [-4001, 0, 0]


@pytest.mark.parametrize(
    ("piid", "value", "code"),
    [
        (1, "hunter2", 0),
        (1, 5, -4005),
        (2, 21.5, 0),
        (2, 21, 0),  # an integer is a fine float
        (2, 40.5, -4005),
        (2, True, -4005),
        (3, -5, 0),
        (3, 6, -4005),
        (3, 1.5, -4005),
        (4, 1, -4002),
        (9, 1, -4003),
    ],
)
def test_set_checks_access_type_and_range(
    handler: MiotHandler, piid: int, value: object, code: int
) -> None:
    assert codes(handler, "set_properties", [{"siid": 2, "piid": piid, "value": value}]) == [code]


def test_a_stored_value_keeps_the_spec_format(handler: MiotHandler) -> None:
    handler.handle("set_properties", [{"siid": 2, "piid": 2, "value": 21}])
    handler.handle("set_properties", [{"siid": 2, "piid": 3, "value": 3.0}])
    assert handler.state.get((2, 2)) == 21.0
    assert isinstance(handler.state.get((2, 2)), float)
    assert handler.state.get((2, 3)) == 3
    assert isinstance(handler.state.get((2, 3)), int)


def test_action_arguments_are_counted(handler: MiotHandler) -> None:
    ok = handler.handle("action", {"did": "d", "siid": 2, "aiid": 1, "in": [3]})
    missing = handler.handle("action", {"did": "d", "siid": 2, "aiid": 1})
    assert ok["result"] == {"did": "d", "siid": 2, "aiid": 1, "code": 0, "out": []}
    assert missing["result"]["code"] == -4006


def test_the_spec_reads_actions_and_events() -> None:
    spec = parse_spec("acme.test.t1", SPEC)
    assert spec.device_type == "test"
    assert spec.actions[(2, 1)].inputs == (3,)
    assert spec.events[(2, 1)].arguments == (4,)
    assert spec.props[(2, 4)].notifies


def test_every_bundled_model_loads() -> None:
    assert len(bundled_models()) == 92
    miot = [m for m in bundled_models() if load_table(m).dialect == "miot"]
    assert len(miot) == 13
    for model in miot:
        assert load_model_spec(model).props
