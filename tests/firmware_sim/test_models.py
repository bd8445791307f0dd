"""Believable behaviour: air gets dirty while the purifier is off and cleaner faster the
harder it runs; the light toggles and follows its mode; the camera only reports motion while
it watches, and its snapshot changes."""

from __future__ import annotations

import aiohttp
import pytest

from firmware_sim.fleet import DeviceConfig, Fleet, SimulatedDevice
from firmware_sim.models.air_purifier import AirPurifier, favorite_level, favorite_rpm
from firmware_sim.models.camera import Camera
from tests.loopback import free_host
from tests.waiting import until

MANUAL = 3


def purifier() -> SimulatedDevice:
    return SimulatedDevice(DeviceConfig("zhimi.airpurifier.mb3", free_host()))


def pm25_after(minutes: int, power: bool, mode: int = MANUAL, fan: int = 1) -> float:
    device = purifier()
    device.set_property(2, 2, power)
    device.set_property(2, 5, mode)
    device.set_property(2, 4, fan)
    device.set_property(3, 6, 40.0)
    for _ in range(minutes * 6):
        device.tick(10.0)
    return float(device.get_property(3, 6))


def test_pm25_creeps_up_while_off() -> None:
    assert 45 < pm25_after(30, power=False) < 55


def test_pm25_falls_faster_at_a_higher_fan_level() -> None:
    low = pm25_after(15, power=True, fan=1)
    high = pm25_after(15, power=True, fan=3)
    assert high < low < 40


def test_auto_mode_runs_harder_in_dirty_air() -> None:
    device = purifier()
    device.set_property(2, 2, True)
    device.tick(1.0)
    calm = device.get_property(10, 8)
    device.use_cases.pm25_spike(250)
    device.tick(1.0)
    assert device.get_property(10, 8) > calm > 0
    assert device.get_property(3, 6) == 250.0  # the sensor reads the spike


def test_motor_follows_mode_and_levels() -> None:
    device = purifier()
    behaviour = device.behaviour
    assert isinstance(behaviour, AirPurifier)
    assert behaviour.target_rpm() == 0  # off
    device.set_property(2, 2, True)
    device.set_property(2, 5, 1)
    assert behaviour.target_rpm() == 400  # sleep
    device.set_property(2, 5, 2)
    device.set_property(10, 10, 14)
    assert behaviour.target_rpm() == favorite_rpm(14) == 2300
    assert favorite_level(favorite_rpm(5)) == 5
    device.set_property(2, 5, MANUAL)
    assert behaviour.target_rpm() == 800  # manual, fan level 1


def test_use_time_filter_and_volume_count_only_while_running() -> None:
    device = purifier()
    before = {k: device.get_property(*k) for k in [(12, 1), (4, 5), (4, 3), (13, 1)]}
    for _ in range(10):
        device.tick(360.0)  # an hour, off
    assert {k: device.get_property(*k) for k in before} == before
    device.set_property(2, 2, True)
    device.set_property(2, 5, MANUAL)
    device.set_property(2, 4, 3)
    for _ in range(100):
        device.tick(360.0)  # ten hours at full speed
    assert device.get_property(12, 1) == before[(12, 1)] + 36000
    assert device.get_property(4, 5) > before[(4, 5)]
    assert device.get_property(13, 1) > before[(13, 1)] + 1000
    assert 0 <= device.get_property(4, 3) <= before[(4, 3)]
    device.use_cases.replace_filter()
    assert (device.get_property(4, 5), device.get_property(4, 3)) == (0, 100)


def test_the_realtime_aqi_window_counts_down() -> None:
    device = purifier()
    device.set_property(13, 9, 5)
    for _ in range(3):
        device.tick(1.0)
    assert device.get_property(13, 9) == 2
    device.tick(10.0)
    assert device.get_property(13, 9) == 0


async def test_the_fleet_ticks_with_time_scaled() -> None:
    config = DeviceConfig("zhimi.airpurifier.mb3", free_host(), port=0)
    async with Fleet([config], tick=0.01, time_scale=36000.0) as fleet:
        device = fleet.devices[0]
        start = float(device.get_property(3, 6))
        # hours of simulated time with the purifier off
        await until(lambda: device.behaviour.elapsed > 3600, 5)
        await until(lambda: float(device.get_property(3, 6)) > start + 5, 5)


def test_light_toggles_and_its_button_too() -> None:
    light = SimulatedDevice(DeviceConfig("yeelink.light.color2", free_host()))
    assert light.behaviour.action("toggle")
    assert light.get_property("power") == "on"  # legacy wire value
    light.use_cases.press_power_button()
    assert light.feature("power") is False
    assert not light.behaviour.action("dance")


def test_a_light_switches_its_colour_mode_with_ct_or_rgb() -> None:
    light = SimulatedDevice(DeviceConfig("yeelink.light.color2", free_host()))
    handle = light.dialect.handle
    assert handle("set_rgb", [0x00FF00]) == {"result": ["ok"]}
    assert light.get_property("color_mode") == "1"  # rgb, as the bulb reports it: a string
    assert light.get_property("rgb") == str(0x00FF00)
    assert handle("set_ct_abx", [3000, "smooth", 500]) == {"result": ["ok"]}
    assert (light.get_property("color_mode"), light.get_property("ct")) == ("2", "3000")
    refused = handle("set_ct_abx", [1700, "smooth", 500])  # color2 starts at 2700 K
    assert refused["error"]["code"] == -5001


def test_camera_records_motion_only_while_watching() -> None:
    camera = SimulatedDevice(DeviceConfig("chuangmi.camera.ipc019", free_host()))
    behaviour = camera.behaviour
    assert isinstance(behaviour, Camera)
    assert camera.use_cases.motion()
    camera.set_property("motion_record", "off")
    assert not camera.use_cases.motion()
    camera.set_property("motion_record", "on")
    camera.use_cases.press_power_button()  # asleep
    assert camera.get_property("power") == "off"
    assert not camera.use_cases.motion()
    assert behaviour.recorded == 1


def test_use_cases_refuse_the_wrong_family() -> None:
    light = SimulatedDevice(DeviceConfig("yeelink.light.color2", free_host()))
    assert light.use_cases.motion() is False
    with pytest.raises(TypeError, match="air purifier"):
        light.use_cases.pm25_spike()


async def test_camera_serves_a_jpeg_snapshot_that_changes() -> None:
    host = free_host()
    config = DeviceConfig("chuangmi.camera.ipc019", host, port=0, snapshot_port=0)
    async with Fleet([config]) as fleet, aiohttp.ClientSession() as http:
        camera = fleet.devices[0]
        url = camera.snapshot_url
        assert url is not None
        assert url.startswith(f"http://{host}:")
        assert fleet.manifest()[0]["snapshot_url"] == url
        async with http.get(url) as response:
            assert response.status == 200
            assert response.content_type == "image/jpeg"
            first = await response.read()
        assert camera.snapshots is not None
        camera.snapshots.clock_offset += 1  # a second later
        async with http.get(url) as response:
            second = await response.read()
    assert first[:2] == b"\xff\xd8"  # JPEG start of image
    assert first != second


def test_only_cameras_have_a_snapshot() -> None:
    assert purifier().snapshot_url is None


def test_a_steady_purifier_reports_changes_not_every_tick() -> None:
    device = purifier()
    device.set_property(2, 2, True)
    device.tick(1.0)
    changes: list[object] = []
    device.state.on_change.append(lambda key, value: changes.append(key))
    for _ in range(30):
        device.tick(1.0)
    assert len(changes) < 10, changes  # a PM2.5 step now and then, not counters each second


def test_a_legacy_purifier_cleans_the_air_on_the_same_model() -> None:
    device = SimulatedDevice(DeviceConfig("zhimi.airpurifier.v7", free_host()))
    device.set_property("aqi", 80)
    assert device.dialect.handle("set_power", ["on"]) == {"result": ["ok"]}
    assert device.dialect.handle("set_mode", ["favorite"]) == {"result": ["ok"]}
    assert device.dialect.handle("set_level_favorite", [17]) == {"result": ["ok"]}
    assert device.get_property("motor1_speed") == 2000  # the motor answers at once
    for _ in range(90):
        device.tick(10.0)
    assert device.get_property("aqi") < 60  # PM2.5 as an int, as the v7 reports it
    assert isinstance(device.get_property("temp_dec"), int)  # tenths of a degree


def test_a_fresh_air_unit_brings_co2_down_while_it_runs() -> None:
    device = SimulatedDevice(DeviceConfig("dmaker.airfresh.t2017", free_host()))
    start = device.get_property("co2")
    for _ in range(60):
        device.tick(10.0)  # off: people breathe
    stale = device.get_property("co2")
    assert stale > start
    device.set_property("power", True)
    device.set_property("mode", "favourite")
    for _ in range(120):
        device.tick(10.0)
    assert device.get_property("co2") < stale
