"""One connection per miIO device, through the runtime, against the simulated firmware."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from firmware_sim.fleet import DeviceConfig, Fleet, SimulatedDevice
from hub.bus import DeviceOffline, EventBus, StateChanged
from hub.config import MiioSection
from hub.devices.miio.connection import ConnectionState, MiioConnection, Timing
from hub.devices.miio.runtime import MiioRuntime
from hub.devices.model import Availability, CommandStatus, Device
from hub.devices.registry import DeviceRegistry
from hub.errors import InvalidValue
from tests.mqtt_broker import until

FAST = Timing(fast=0.2, slow=1.0, retry=0.1, retry_cap=0.5, wrong_token_retry=0.5)
PURIFIER = "zhimi.airpurifier.mb3"  # MIoT, pushes; legacy devices: test_legacy.py
MODELS = [PURIFIER, PURIFIER]


@dataclass
class Rig:
    fleet: Fleet
    registry: DeviceRegistry
    runtime: MiioRuntime
    bus: EventBus

    def connection(self, sim: SimulatedDevice) -> MiioConnection:
        return self.runtime.connections[(sim.host, sim.port)]

    async def online(self, sim: SimulatedDevice) -> Device:
        connection = self.connection(sim)
        await until(lambda: connection.online, 5)
        assert connection.device is not None
        return connection.device


def miio_config(fleet: Fleet, **extra: Any) -> MiioSection:
    devices = [{"host": d.host, "port": d.port, "token": d.token} for d in fleet.devices]
    for entry, sim in zip(devices, fleet.devices, strict=True):
        entry.update(extra.get(sim.config.model, {}))
    return MiioSection.model_validate(
        {"bind": "127.0.0.1", "timeout": 0.2, "deadline": 2.0, "devices": devices}
    )


@asynccontextmanager
async def running(models: list[str], timing: Timing = FAST, **extra: Any) -> AsyncIterator[Rig]:
    configs = [DeviceConfig(m, "127.0.0.1", port=0, snapshot_port=0) for m in models]
    bus = EventBus()
    registry = DeviceRegistry(bus, offline_grace=0, confirm_timeout=1.0)
    async with Fleet(configs, tick=60.0) as fleet:
        runtime = MiioRuntime(miio_config(fleet, **extra), registry, timing)
        await runtime.start()
        try:
            yield Rig(fleet, registry, runtime, bus)
        finally:
            await runtime.stop()
            registry.close()


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with running(MODELS) as rig:
        yield rig


async def test_onboarding_builds_the_device_and_it_pushes(rig: Rig) -> None:
    sim = rig.fleet.devices[0]
    device = await rig.online(sim)
    assert device.id == f"miio-{sim.did}"
    assert device.model == "zhimi.airpurifier.mb3"
    assert device.availability is Availability.ONLINE
    assert device.value("power") is False
    assert device.value("mode") == "auto"
    assert device.features["pm25"].category == "primary"
    assert sim.token not in repr(device.as_dict())
    await until(lambda: rig.connection(sim).state is ConnectionState.PUSHING, 5)


async def test_a_command_reaches_the_firmware_and_is_confirmed(rig: Rig) -> None:
    sim = rig.fleet.devices[1]
    device = await rig.online(sim)
    result = await rig.registry.command(device.id, "favorite_level", 9)
    assert result.status is CommandStatus.CONFIRMED
    assert sim.get_property(10, 10) == 9
    result = await rig.registry.command(device.id, "mode", "sleep")
    assert result.status is CommandStatus.CONFIRMED


async def test_out_of_range_is_refused_before_sending(rig: Rig) -> None:
    sim = rig.fleet.devices[1]
    device = await rig.online(sim)
    requests = sim.server.requests
    with pytest.raises(InvalidValue, match=r"favorite_level.*0 to 14"):
        await rig.registry.command(device.id, "favorite_level", 70)
    assert sim.server.requests == requests


async def test_changes_on_the_device_reach_the_registry_by_polling(rig: Rig) -> None:
    sim = rig.fleet.devices[0]
    device = await rig.online(sim)
    changes: list[StateChanged] = []
    rig.bus.subscribe(StateChanged, changes.append)
    sim.use_cases.pm25_spike(250)
    await until(lambda: device.value("pm25") == 250, 3)
    assert any(c.feature == "pm25" and c.value == 250 for c in changes)


async def test_no_snapshot_without_a_url_one_where_configured() -> None:
    url = "http://127.0.0.1:1/x.jpg"
    async with running([PURIFIER, PURIFIER]) as rig:
        plain = await rig.online(rig.fleet.devices[0])
    async with running([PURIFIER], **{PURIFIER: {"snapshot_url": url}}) as rig:
        pictured = await rig.online(rig.fleet.devices[0])
    assert "snapshot" not in plain.features  # stock firmware serves no picture
    assert pictured.features["snapshot"].kind == "image"
    assert pictured.endpoint["snapshot_url"] == url


async def test_an_unplugged_device_goes_offline_and_comes_back(rig: Rig) -> None:
    sim = rig.fleet.devices[1]
    device = await rig.online(sim)
    offline: list[DeviceOffline] = []
    rig.bus.subscribe(DeviceOffline, offline.append)
    sim.faults.offline = True
    await until(lambda: offline, 8)
    assert device.availability is Availability.OFFLINE
    assert "offline?" in offline[0].reason
    assert rig.connection(sim).state is ConnectionState.OFFLINE
    sim.faults.offline = False
    await until(lambda: device.availability is Availability.ONLINE, 5)


async def test_a_wrong_token_is_its_own_state_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hub.devices.miio")

    async with running([PURIFIER], **{PURIFIER: {"token": "00" * 16}}) as rig:
        sim = rig.fleet.devices[0]
        connection = rig.connection(sim)
        await until(lambda: connection.state is ConnectionState.WRONG_TOKEN, 15)
        await until(lambda: connection.backoff.attempts >= 5, 10)
    warnings = [r for r in caplog.records if "token is probably wrong" in r.getMessage()]
    assert len(warnings) == 1, "logged once, not on every retry"
    assert all(r.levelno == logging.WARNING for r in warnings)
    assert sim.token not in caplog.text


async def test_commands_succeed_through_thirty_percent_loss(rig: Rig) -> None:
    sim = rig.fleet.devices[1]
    device = await rig.online(sim)
    sim.faults.loss = 0.3
    sim.faults.rng.seed(7)
    for level in (1, 5, 9, 12, 3):
        result = await rig.registry.command(device.id, "favorite_level", level)
        assert result.status is not CommandStatus.FAILED, result.error
        assert sim.get_property(10, 10) == level


async def test_five_reboots_one_listener_one_subscription_each() -> None:
    async with running([PURIFIER]) as rig:
        sim = rig.fleet.devices[0]
        connection = rig.connection(sim)
        device = await rig.online(sim)
        await until(lambda: connection.state is ConnectionState.PUSHING, 5)
        before = connection.subscriptions
        for reboot in range(1, 6):
            sim.identity.booted_at -= 100  # it had been up a while: the restart shows
            await until(lambda: connection.session.stamp >= 100, 5)  # a poll saw its clock
            sim.reboot()
            await until(lambda r=reboot: connection.session.reboots == r, 5)  # type: ignore[misc]
            await until(lambda r=reboot: connection.subscriptions == before + r, 5)  # type: ignore[misc]
            await until(lambda: len(sim.server.subscribers.active()) == 1, 5)
            assert connection.session.reboot_listeners == 1
        assert connection.subscriptions == before + 5
        changes: list[StateChanged] = []
        rig.bus.subscribe(StateChanged, changes.append)
        sim.set_property(2, 2, not device.value("power"))  # pushed at once
        await until(lambda: [c for c in changes if c.feature == "power"], 3)


async def test_the_push_subscription_is_renewed_again_and_again() -> None:
    # expire 3 s, renewed every second (a third of it)
    timing = Timing(fast=0.2, slow=10.0, expire=3, retry=0.1, retry_cap=0.5)
    async with running([PURIFIER], timing) as rig:
        sim = rig.fleet.devices[0]
        connection = rig.connection(sim)
        await rig.online(sim)
        # every third of its expiry; a loop stalled past 2 s (a loaded machine) may let one
        # lapse, and the next renewal brings it back: the device has its subscriber again
        active = sim.server.subscribers.active
        await until(lambda: connection.subscriptions >= 4 and len(active()) == 1, 20)
