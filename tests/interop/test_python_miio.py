"""The referee: python-miio's own, unmodified synchronous client talks to every simulated model.

If python-miio can talk to our firmware, the wire is right; this guards against the hub and
the simulator sharing one mistake. The client runs in a thread; the fleet runs in the test's
event loop. python-miio always talks to port 54321, so these devices listen there, on
free addresses (tests/loopback.py).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import miio
import pytest
from miio.integrations.airpurifier.zhimi.airfilter_util import FilterType
from miio.integrations.airpurifier.zhimi.airpurifier_miot import (
    AirPurifierMiotStatus,
    LedBrightness,
    OperationMode,
)

from firmware_sim.fleet import DeviceConfig, Fleet, SimulatedDevice
from tests.loopback import free_hosts

pytestmark = pytest.mark.interop

MODELS = ["zhimi.airpurifier.mb3", "yeelink.light.color2", "chuangmi.camera.ipc019"]
TIMEOUT = 1  # python-miio's per-try timeout: a broken test fails in seconds, not minutes
T = TypeVar("T")


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    configs = [
        DeviceConfig(model, host, snapshot_port=0)
        for model, host in zip(MODELS, free_hosts(len(MODELS)), strict=True)
    ]
    async with Fleet(configs, tick=60.0) as running:
        yield running


def client(device: SimulatedDevice) -> miio.Device:
    return miio.Device(device.host, device.token, timeout=TIMEOUT)


async def in_thread(work: Callable[[], T]) -> T:
    return await asyncio.to_thread(work)


async def failure_of(work: Callable[[], object]) -> miio.DeviceException:
    """The exception python-miio raises. It leaves its socket open when it raises, so drop
    everything that holds the failing frame (the traceback, and the log record python-miio
    would write) and collect: the test must not leak a socket."""

    def attempt() -> miio.DeviceException:
        logger = logging.getLogger("miio.miioprotocol")
        level = logger.level
        logger.setLevel(logging.CRITICAL)
        try:
            work()
        except miio.DeviceException as exc:
            exc.__traceback__ = None
            exc.__context__ = exc.__cause__ = None
            return exc
        finally:
            logger.setLevel(level)
        raise AssertionError("python-miio did not fail")

    failure = await asyncio.to_thread(attempt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    return failure


@pytest.mark.parametrize("index", range(len(MODELS)))
async def test_info_reports_model_firmware_and_network(fleet: Fleet, index: int) -> None:
    device = fleet.devices[index]
    info = await in_thread(lambda: client(device).info())
    assert info.model == device.model
    assert info.firmware_version == device.identity.fw_ver
    assert info.hardware_version == device.identity.hw_ver
    assert info.mac_address == device.mac
    assert info.ip_address == device.host
    assert info.accesspoint["rssi"] < 0
    assert info.token is None  # provisioned devices do not tell


@pytest.mark.parametrize(
    ("index", "siid", "piid", "value"),
    [(0, 2, 5, 1), (0, 10, 10, 9), (0, 7, 1, True), (0, 13, 9, 5)],
)
async def test_raw_get_and_set_properties(
    fleet: Fleet, index: int, siid: int, piid: int, value: object
) -> None:
    device = fleet.devices[index]
    did = str(device.did)

    def exchange() -> tuple[Any, Any]:
        dev = client(device)
        setter = dev.send(
            "set_properties", [{"did": did, "siid": siid, "piid": piid, "value": value}]
        )
        getter = dev.send("get_properties", [{"did": did, "siid": siid, "piid": piid}])
        return setter, getter

    set_reply, get_reply = await in_thread(exchange)
    assert set_reply == [{"did": did, "siid": siid, "piid": piid, "code": 0}]
    assert get_reply == [{"did": did, "siid": siid, "piid": piid, "code": 0, "value": value}]
    assert device.get_property(siid, piid) == value


async def test_the_light_and_camera_speak_legacy_miio_as_their_firmware_does(
    fleet: Fleet,
) -> None:
    light, camera = fleet.devices[1], fleet.devices[2]

    def drive() -> tuple[Any, Any]:
        bulb = miio.Yeelight(light.host, light.token, model=light.model)
        bulb.toggle()
        cam = miio.ChuangmiCamera(camera.host, camera.token, model=camera.model, timeout=TIMEOUT)
        cam.night_mode_on()
        return bulb.status(), cam.status()

    bulb, cam = await in_thread(drive)
    assert bulb.is_on is True
    assert light.get_property("power") == "on"
    assert cam.night_mode == 2
    assert camera.get_property("night_mode") == 2


async def test_miot_methods_are_unknown_to_a_legacy_bulb(fleet: Fleet) -> None:
    light = fleet.devices[1]
    params = [{"did": "x", "siid": 2, "piid": 1}]
    failure = await failure_of(lambda: client(light).send("get_properties", params))
    assert isinstance(failure, miio.DeviceError)
    assert failure.code == -32601


async def test_raw_action_the_model_lacks_is_refused_in_the_result(fleet: Fleet) -> None:
    device = fleet.devices[0]
    params = {"did": str(device.did), "siid": 2, "aiid": 1, "in": []}
    reply = await in_thread(lambda: client(device).send("action", params))
    assert reply["code"] == -4003


async def test_errors_look_like_real_firmware(fleet: Fleet) -> None:
    purifier = fleet.devices[0]
    did = str(purifier.did)
    params = [
        {"did": did, "siid": 2, "piid": 5, "value": 9},
        {"did": did, "siid": 99, "piid": 1, "value": 1},
        {"did": did, "siid": 3, "piid": 6, "value": 5},
    ]
    reply = await in_thread(lambda: client(purifier).send("set_properties", params))
    assert [item["code"] for item in reply] == [-4005, -4003, -4002]


async def test_more_than_fifteen_properties_raise_in_python_miio(fleet: Fleet) -> None:
    purifier = fleet.devices[0]
    params = [{"did": "p", "siid": 2, "piid": 2}] * 16
    failure = await failure_of(lambda: client(purifier).send("get_properties", params))
    assert isinstance(failure, miio.DeviceError)
    assert failure.code == -5001


async def test_a_wrong_token_is_no_reply_to_python_miio(fleet: Fleet) -> None:
    light = fleet.devices[1]

    def wrong() -> None:
        miio.Device(light.host, "00" * 16, timeout=0.2).send("miIO.info", retry_count=0)

    failure = await failure_of(wrong)
    assert "No response" in str(failure)


async def test_python_miio_recovers_after_a_reboot_by_saying_hello_again(fleet: Fleet) -> None:
    light = fleet.devices[1]
    light.identity.booted_at -= 1000  # up for a while
    dev = miio.Device(light.host, light.token, timeout=0.3)
    assert (await in_thread(lambda: dev.send("miIO.info")))["model"] == light.model
    ignored = light.server.ignored
    light.reboot()  # its clock restarts: python-miio's next stamp is far off, so ignored...
    info = await in_thread(lambda: dev.send("miIO.info"))
    assert info["model"] == light.model  # ...until python-miio re-does the hello
    assert info["life"] < 5
    assert light.server.ignored == ignored + 1


def sensible(status: AirPurifierMiotStatus) -> None:
    assert isinstance(status.is_on, bool)
    assert status.power in {"on", "off"}
    assert isinstance(status.mode, OperationMode)
    assert status.mode is not OperationMode.Unknown
    assert 0 < status.aqi <= 600
    assert 0 < status.average_aqi <= 600
    assert 0 <= status.humidity <= 100
    assert 10 < status.temperature < 35
    assert 0 <= status.filter_life_remaining <= 100
    assert 0 <= status.filter_hours_used < 10000
    assert status.fan_level in {1, 2, 3}
    assert 0 <= status.favorite_level <= 14
    assert 300 <= status.favorite_rpm <= 2300
    assert 0 <= status.motor_speed <= 2300
    assert isinstance(status.buzzer, bool)
    assert 0 <= status.buzzer_volume <= 100
    assert isinstance(status.child_lock, bool)
    assert isinstance(status.led, bool)
    assert isinstance(status.led_brightness, LedBrightness)
    assert status.use_time > 0
    assert status.purify_volume > 0
    assert status.filter_rfid_tag
    assert status.filter_type is FilterType.Regular


async def test_air_purifier_miot_status_and_setters(fleet: Fleet) -> None:
    purifier = fleet.devices[0]

    def drive() -> tuple[AirPurifierMiotStatus, AirPurifierMiotStatus, AirPurifierMiotStatus]:
        dev = miio.AirPurifierMiot(
            purifier.host, purifier.token, model="zhimi.airpurifier.mb3", timeout=TIMEOUT
        )
        before = dev.status()
        dev.on()
        dev.set_mode(OperationMode.Favorite)
        dev.set_favorite_level(11)
        dev.set_buzzer(False)
        dev.set_child_lock(True)
        dev.set_led_brightness(LedBrightness.Dim)
        running = dev.status()
        dev.set_fan_level(3)
        dev.off()
        return before, running, dev.status()

    before, running, after = await asyncio.to_thread(drive)
    for status in (before, running, after):
        sensible(status)
    assert before.is_on is False
    assert before.mode is OperationMode.Auto
    assert before.motor_speed == 0
    assert running.is_on is True
    assert running.mode is OperationMode.Favorite
    assert running.favorite_level == 11
    assert running.motor_speed == running.favorite_rpm > 0
    assert (running.buzzer, running.child_lock) == (False, True)
    assert running.led_brightness is LedBrightness.Dim
    assert after.is_on is False
    assert after.mode is OperationMode.Fan  # choosing a fan level leaves favorite mode
    assert after.fan_level == 3
    assert purifier.get_property(2, 2) is False
    assert purifier.get_property(2, 5) == 3
    assert purifier.get_property(10, 10) == 11
    assert purifier.get_property(7, 1) is True
