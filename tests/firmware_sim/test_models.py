"""Believable behaviour: air gets dirty while the purifier is off and cleaner faster the
harder it runs; the light toggles and follows its mode; the camera only reports motion while
it watches, and its snapshot changes."""

from __future__ import annotations

import aiohttp
import pytest

from firmware_sim.fleet import DeviceConfig, Fleet, SimulatedDevice
from firmware_sim.models.air_purifier import AirPurifier, favorite_level, favorite_rpm
from tests.waiting import until

MANUAL = 3


def purifier() -> SimulatedDevice:
    return SimulatedDevice(DeviceConfig("zhimi.airpurifier.mb3", "127.0.42.40"))


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
    config = DeviceConfig("zhimi.airpurifier.mb3", "127.0.42.41", port=0)
    async with Fleet([config], tick=0.01, time_scale=36000.0) as fleet:
        device = fleet.devices[0]
        start = float(device.get_property(3, 6))
        # hours of simulated time with the purifier off
        await until(lambda: device.behaviour.elapsed > 3600, 5)
        await until(lambda: float(device.get_property(3, 6)) > start + 5, 5)


def test_light_toggles_and_its_button_too() -> None:
    light = SimulatedDevice(DeviceConfig("yeelink.light.color2", "127.0.42.42"))
    assert light.behaviour.action(2, 1, []) == []
    assert light.get_property(2, 1) is True
    light.use_cases.press_power_button()
    assert light.get_property(2, 1) is False
    assert light.behaviour.action(2, 2, []) is None


def test_camera_reports_motion_only_while_watching() -> None:
    camera = SimulatedDevice(DeviceConfig("chuangmi.camera.ipc019", "127.0.42.43"))
    events: list[tuple[int, int]] = []
    camera.state.on_event.append(lambda siid, eiid, args: events.append((siid, eiid)))
    assert camera.use_cases.motion()
    camera.set_property(5, 1, False)
    assert not camera.use_cases.motion()
    camera.set_property(5, 1, True)
    camera.use_cases.press_power_button()  # asleep
    assert not camera.use_cases.motion()
    assert events == [(5, 1)]


def test_use_cases_refuse_the_wrong_family() -> None:
    light = SimulatedDevice(DeviceConfig("yeelink.light.color2", "127.0.42.44"))
    assert light.use_cases.motion() is False
    with pytest.raises(TypeError, match="air purifier"):
        light.use_cases.pm25_spike()


async def test_camera_serves_a_jpeg_snapshot_that_changes() -> None:
    config = DeviceConfig("chuangmi.camera.ipc019", "127.0.42.45", port=0, snapshot_port=0)
    async with Fleet([config]) as fleet, aiohttp.ClientSession() as http:
        camera = fleet.devices[0]
        url = camera.snapshot_url
        assert url is not None
        assert url.startswith("http://127.0.42.45:")
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
    changes: list[tuple[int, int]] = []
    device.state.on_change.append(lambda siid, piid, value: changes.append((siid, piid)))
    for _ in range(30):
        device.tick(1.0)
    assert len(changes) < 10, changes  # a PM2.5 step now and then, not counters each second
