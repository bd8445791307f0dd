"""Believable behaviour: air gets dirty while the purifier is off, cleaner faster when it runs
harder; the light toggles; the camera only reports motion while it watches."""

from __future__ import annotations

import aiohttp

from firmware_sim.fleet import DeviceConfig, Fleet, SimulatedDevice
from firmware_sim.models.air_purifier import AirPurifier


def purifier_after(minutes: int, power: bool, mode: int = 3, fan: int = 1) -> float:
    device = SimulatedDevice(DeviceConfig("zhimi.airpurifier.mb3", "127.0.0.1"))
    device.set_property(2, 2, power)
    device.set_property(2, 5, mode)
    device.set_property(2, 4, fan)
    device.set_property(3, 6, 40.0)
    for _ in range(minutes * 60):
        device.behaviour.tick(1.0)
    return float(device.get_property(3, 6))


def test_pm25_creeps_up_while_off() -> None:
    assert purifier_after(10, power=False) > 40


def test_pm25_falls_faster_at_a_higher_fan_level() -> None:
    low = purifier_after(5, power=True, fan=1)
    high = purifier_after(5, power=True, fan=3)
    assert high < low < 40


def test_filter_wears_and_use_time_counts_only_while_running() -> None:
    device = SimulatedDevice(DeviceConfig("zhimi.airpurifier.mb3", "127.0.0.1"))
    assert isinstance(device.behaviour, AirPurifier)
    used = device.get_property(12, 1)
    for _ in range(10):
        device.behaviour.tick(0.5)
    assert device.get_property(12, 1) == used
    device.set_property(2, 2, True)
    for _ in range(10):
        device.behaviour.tick(0.5)
    assert device.get_property(12, 1) == used + 5
    assert device.get_property(10, 8) > 0  # the motor turns


def test_camera_reports_motion_only_while_watching() -> None:
    camera = SimulatedDevice(DeviceConfig("chuangmi.camera.ipc019", "127.0.0.1"))
    events: list[tuple[int, int]] = []
    camera.state.on_event.append(lambda siid, eiid, args: events.append((siid, eiid)))
    assert camera.use_cases.motion()
    camera.set_property(5, 1, False)
    assert not camera.use_cases.motion()
    camera.set_property(5, 1, True)
    camera.set_property(2, 1, False)
    assert not camera.use_cases.motion()
    assert events == [(5, 1)]


async def test_camera_serves_a_jpeg_snapshot_that_changes() -> None:
    config = DeviceConfig("chuangmi.camera.ipc019", "127.0.0.95", port=0, snapshot_port=0)
    async with Fleet([config]) as fleet, aiohttp.ClientSession() as http:
        url = fleet.devices[0].snapshot_url
        assert url is not None
        assert url.startswith("http://127.0.0.95:")
        async with http.get(url) as response:
            assert response.content_type == "image/jpeg"
            first = await response.read()
        fleet.devices[0].snapshots.clock_offset += 1  # type: ignore[union-attr]
        async with http.get(url) as response:
            second = await response.read()
    assert first[:2] == b"\xff\xd8"  # JPEG start of image
    assert first != second
