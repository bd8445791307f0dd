"""miIO devices through Features, against the simulated firmware on the real wire."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from firmware_sim.fleet import DeviceConfig, Fleet
from hub.bus import DeviceEvent, DeviceOffline, EventBus, StateChanged
from hub.devices.miio.adapter import MiioAdapter
from hub.devices.miio.transport import MiioTransport
from hub.devices.model import Availability, CommandStatus
from hub.devices.registry import DeviceRegistry
from hub.errors import DeviceAuthError, InvalidValue
from tests.loopback import free_hosts
from tests.waiting import until


@dataclass
class Rig:
    fleet: Fleet
    registry: DeviceRegistry
    adapter: MiioAdapter
    bus: EventBus


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    purifier, light, camera = free_hosts(3)
    configs = [
        DeviceConfig("zhimi.airpurifier.mb3", purifier),
        DeviceConfig("yeelink.light.color2", light),
        DeviceConfig("chuangmi.camera.ipc019", camera, snapshot_port=0),
    ]
    bus = EventBus()
    registry = DeviceRegistry(bus, offline_grace=0, confirm_timeout=1.0)
    async with Fleet(configs) as fleet, MiioTransport(("127.0.0.1", 0), timeout=0.5) as transport:
        adapter = MiioAdapter(registry, transport, poll_fast=0.2, poll_slow=1.0)
        try:
            yield Rig(fleet, registry, adapter, bus)
        finally:
            await adapter.stop()
            registry.close()


async def test_onboarding_builds_the_device_from_its_spec(rig: Rig) -> None:
    sim = rig.fleet.devices[0]
    device = await rig.adapter.onboard(sim.host, sim.token, room="Living room")
    assert device.id == f"miio-{sim.did}"
    assert device.model == "zhimi.airpurifier.mb3"
    assert device.room == "Living room"
    assert device.availability is Availability.ONLINE
    assert device.value("power") is False
    assert device.value("mode") == "auto"
    assert isinstance(device.value("pm25"), int | float)
    assert sim.token not in repr(device.as_dict())


async def test_a_command_reaches_the_firmware_and_is_confirmed(rig: Rig) -> None:
    sim = rig.fleet.devices[1]
    device = await rig.adapter.onboard(sim.host, sim.token)
    result = await rig.registry.command(device.id, "brightness", 35)
    assert result.status is CommandStatus.CONFIRMED
    assert sim.get_property(2, 3) == 35
    result = await rig.registry.command(device.id, "power", True)
    assert result.status is CommandStatus.CONFIRMED
    assert sim.get_property(2, 1) is True


async def test_out_of_range_is_refused_before_sending(rig: Rig) -> None:
    sim = rig.fleet.devices[1]
    device = await rig.adapter.onboard(sim.host, sim.token)
    requests = sim.server.requests
    with pytest.raises(InvalidValue, match=r"color_temp.*1700 to 6500 K"):
        await rig.registry.command(device.id, "color_temp", 10000)
    assert sim.server.requests == requests


async def test_actions_run_on_the_device(rig: Rig) -> None:
    sim = rig.fleet.devices[1]
    device = await rig.adapter.onboard(sim.host, sim.token)
    await rig.registry.call_action(device.id, "toggle")
    assert sim.get_property(2, 1) is True


async def test_changes_on_the_device_reach_the_registry_by_polling(rig: Rig) -> None:
    sim = rig.fleet.devices[0]
    device = await rig.adapter.onboard(sim.host, sim.token)
    changes: list[StateChanged] = []
    rig.bus.subscribe(StateChanged, changes.append)
    sim.use_cases.pm25_spike(250)
    await until(lambda: device.value("pm25") == 250, 2)
    assert any(c.feature == "pm25" and c.value == 250 for c in changes)


async def test_camera_motion_becomes_a_device_event(rig: Rig) -> None:
    sim = rig.fleet.devices[2]
    device = await rig.adapter.onboard(sim.host, sim.token)
    events: list[DeviceEvent] = []
    rig.bus.subscribe(DeviceEvent, events.append)
    await rig.adapter.subscribe(device.id)
    assert sim.use_cases.motion()
    await until(lambda: events, 2)
    assert [(e.device_id, e.event) for e in events] == [(device.id, "motion")]


async def test_a_wrong_token_is_reported_as_such(rig: Rig) -> None:
    sim = rig.fleet.devices[0]
    with pytest.raises(DeviceAuthError, match="token"):
        await rig.adapter.onboard(sim.host, "00" * 16)


async def test_an_unplugged_device_goes_offline(rig: Rig) -> None:
    sim = rig.fleet.devices[1]
    device = await rig.adapter.onboard(sim.host, sim.token)
    offline: list[DeviceOffline] = []
    rig.bus.subscribe(DeviceOffline, offline.append)
    sim.faults.offline = True
    await until(lambda: offline, 6)
    assert device.availability is Availability.OFFLINE
    assert offline[0].reason == "no reply"


async def test_commands_succeed_through_thirty_percent_loss(rig: Rig) -> None:
    sim = rig.fleet.devices[1]
    device = await rig.adapter.onboard(sim.host, sim.token)
    sim.faults.loss = 0.3
    sim.faults.rng.seed(7)
    for level in (10, 20, 30, 40, 50):
        result = await rig.registry.command(device.id, "brightness", level)
        assert result.status is not CommandStatus.FAILED, result.error
        assert sim.get_property(2, 3) == level


async def test_a_changed_token_is_reported_as_wrong_token_not_offline(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    sim = rig.fleet.devices[1]
    device = await rig.adapter.onboard(sim.host, sim.token)
    offline: list[DeviceOffline] = []
    rig.bus.subscribe(DeviceOffline, offline.append)
    sim.change_token()
    await until(lambda: offline, 8)  # the device is reported
    assert offline[0].reason.startswith("wrong token")
    assert device.availability is Availability.OFFLINE
    warnings = [r for r in caplog.records if "wrong token" in r.getMessage()]
    assert len(warnings) == 1, "logged once, not on every poll"
    assert sim.token not in caplog.text


async def test_after_a_reboot_pushes_flow_again(rig: Rig) -> None:
    sim = rig.fleet.devices[2]
    device = await rig.adapter.onboard(sim.host, sim.token)
    assert await rig.adapter.subscribe(device.id)
    events: list[DeviceEvent] = []
    rig.bus.subscribe(DeviceEvent, events.append)
    await asyncio.sleep(4)  # the behaviour: the clock we saw moves past 2 s, so a restart shows
    sim.reboot()
    for _ in range(80):
        assert sim.use_cases.motion()
        await asyncio.sleep(0.1)  # the behaviour: motion again every 0.1 s until one arrives
        if events:
            break
    assert events, "motion after the reboot never arrived"
    assert rig.adapter.links[device.id].client.reboots >= 1  # type: ignore[attr-defined]


async def test_the_push_subscription_is_renewed_before_it_lapses(rig: Rig) -> None:
    sim = rig.fleet.devices[2]
    device = await rig.adapter.onboard(sim.host, sim.token)
    assert await rig.adapter.subscribe(device.id, expire=2)
    events: list[DeviceEvent] = []
    rig.bus.subscribe(DeviceEvent, events.append)
    await asyncio.sleep(3.5)  # the behaviour: past the first expiry, only a renewal keeps pushes
    assert sim.use_cases.motion()
    await until(lambda: events, 2)
    assert [e.event for e in events] == ["motion"]
