"""Legacy miIO through the one Feature model, on the real UDP wire.

The device is scripted here as python-miio's ``Yeelight`` class expects a color2 bulb to
answer (``get_prop`` by position with strings, ``set_*`` answered ``["ok"]``, -32601 for
``miIO.sub``); tests/interop/test_hub_models.py drives every table model against firmware_sim.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from hub.bus import EventBus
from hub.config import MiioSection
from hub.devices.miio.connection import ConnectionState, MiioConnection, Timing
from hub.devices.miio.dialects.legacy import decode, encode
from hub.devices.miio.runtime import MiioRuntime
from hub.devices.model import CommandStatus, Device
from hub.devices.registry import DeviceRegistry
from tests.devices.miio.scripted import Reply, ScriptedDevice
from tests.mqtt_broker import until

TOKEN = "00112233445566778899aabbccddeeff"
TIMING = Timing(fast=0.2, slow=1.0, retry=0.1, retry_cap=0.5)


class Bulb:
    """A Yeelight color2 bulb's legacy firmware, as python-miio's Yeelight class drives it."""

    def __init__(self, batch_limit: int = 25) -> None:
        self.state = {"power": "off", "bright": "80", "ct": "4000", "rgb": "16737280",
                      "color_mode": "2", "name": "", "lan_ctrl": "1"}  # fmt: skip
        self.batch_limit = batch_limit
        self.calls: list[tuple[str, Any]] = []

    def __call__(self, request: dict[str, Any]) -> list[Reply]:
        method, params, msg_id = request["method"], request["params"], request["id"]
        self.calls.append((method, params))
        setters = {"set_power": "power", "set_bright": "bright", "set_rgb": "rgb",
                   "set_ct_abx": "ct", "set_name": "name"}  # fmt: skip
        if method == "miIO.info":
            return [{"id": msg_id, "result": {"model": "yeelink.light.color2", "fw_ver": "2.0"}}]
        if method == "get_prop" and len(params) <= self.batch_limit:
            return [{"id": msg_id, "result": [self.state.get(n, "") for n in params]}]
        if method in setters:
            self.state[setters[method]] = str(params[0])
            return [{"id": msg_id, "result": ["ok"]}]
        if method == "toggle":
            self.state["power"] = "off" if self.state["power"] == "on" else "on"
            return [{"id": msg_id, "result": ["ok"]}]
        return [{"id": msg_id, "error": {"code": -32601, "message": "Method not found."}}]


@dataclass
class Rig:
    bulb: Bulb
    registry: DeviceRegistry
    connection: MiioConnection
    device: Device


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    bulb = Bulb()
    registry = DeviceRegistry(EventBus(), offline_grace=0, confirm_timeout=1.0)
    async with ScriptedDevice("127.0.0.1", TOKEN, bulb) as device:
        config = MiioSection.model_validate(
            {"bind": "127.0.0.1", "timeout": 0.2, "deadline": 2.0,
             "devices": [{"host": device.host, "port": device.port, "token": TOKEN}]}
        )  # fmt: skip
        runtime = MiioRuntime(config, registry, TIMING)
        await runtime.start()
        try:
            connection = runtime.connections[(device.host, device.port)]
            await until(lambda: connection.online, 5)
            assert connection.device is not None
            yield Rig(bulb, registry, connection, connection.device)
        finally:
            await runtime.stop()
            registry.close()


async def test_a_legacy_bulb_is_polled_with_get_prop_and_read_by_position(rig: Rig) -> None:
    device = rig.device
    assert device.endpoint["dialect"] == "legacy"
    assert device.value("power") is False
    assert device.value("brightness") == 80
    assert device.value("color_temp") == 4000
    assert device.value("color_mode") == "color_temp"
    reads = [params for method, params in rig.bulb.calls if method == "get_prop"]
    assert reads[0] == ["name", "power", "bright", "color_mode", "rgb", "ct"]
    assert rig.connection.state is ConnectionState.POLLING  # it refused miIO.sub


async def test_features_from_the_table_carry_kind_unit_range_label_category(rig: Rig) -> None:
    features = rig.device.features
    brightness = features["brightness"]
    assert (brightness.kind, brightness.unit, brightness.name) == ("number", "%", "Brightness")
    assert (brightness.maximum, brightness.category) == (100, "primary")
    assert features["color_temp"].minimum == 2700
    assert features["color_mode"].choices == ("rgb", "color_temp", "hsv")
    assert not features["color_mode"].writable
    assert features["toggle"].kind == "action"


async def test_setters_send_the_tables_argument_shapes(rig: Rig) -> None:
    device_id = rig.device.id
    for feature, value in (("power", True), ("brightness", 35), ("color_temp", 3000)):
        result = await rig.registry.command(device_id, feature, value)
        assert result.status is CommandStatus.CONFIRMED, result.error
    sets = [(m, p) for m, p in rig.bulb.calls if m.startswith("set_")]
    assert sets == [
        ("set_power", ["on"]),
        ("set_bright", [35]),
        ("set_ct_abx", [3000, "smooth", 500]),
    ]
    assert rig.bulb.state["power"] == "on"
    await rig.registry.call_action(device_id, "toggle")
    assert rig.bulb.state["power"] == "off"


async def test_names_go_in_batches_of_the_tables_size() -> None:
    from hub.devices.miio.dialects.legacy import LegacyDialect
    from hub.devices.miio.models.table import load_table
    from hub.devices.miio.wire.transport import MiioTransport

    table = load_table("yeelink.light.color2")
    bulb = Bulb(batch_limit=2)
    small = type(table.read)(table.read.method, 2, None, "list")  # type: ignore[misc]
    dialect = LegacyDialect(type(table)(**{**_fields(table), "read": small}))
    async with (
        ScriptedDevice("127.0.0.1", TOKEN, bulb) as device,
        MiioTransport(("127.0.0.1", 0), timeout=0.2) as transport,
    ):
        values = await dialect.read(transport.session(device.host, TOKEN, device.port))
    assert values["brightness"] == 80
    assert [len(p) for m, p in bulb.calls if m == "get_prop"] == [2, 2, 2]


def _fields(table: Any) -> dict[str, Any]:
    return {name: getattr(table, name) for name in table.__slots__}


@pytest.mark.parametrize(
    ("codec", "choices", "wire", "value"),
    [
        ("on_off", None, "on", True),
        ("int_bool", None, "0", False),
        ("bool", None, True, True),
        ("int", None, "42", 42),
        ("float", None, "21.5", 21.5),
        ("tenths", None, 223, 22.3),
        ("text", None, "Desk", "Desk"),
        ("rgb", None, "16711680", 0xFF0000),
        ("choice", ((1, "rgb"), (2, "color_temp")), "2", "color_temp"),
    ],
)
def test_codecs_read_the_wire_as_python_miio_does(
    codec: str, choices: Any, wire: Any, value: Any
) -> None:
    assert decode(codec, choices, wire) == value


def test_codecs_write_what_firmware_expects() -> None:
    assert encode("on_off", None, False) == ["off"]
    assert encode("int_bool", None, True) == [1]
    assert encode("tenths", None, 22.3) == [223]
    assert encode("choice", ((0, "auto"), (2, "sleep")), "sleep") == [2]
    assert encode("rgb_triple", None, 0x102030) == [0x10, 0x20, 0x30]
    assert decode("int", None, None) is None  # nothing usable is no value, not an error
