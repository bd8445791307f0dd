"""DeviceRegistry: one event per real change, a flap guard, commands, and restarts."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from hub.bus import DeviceOffline, DeviceOnline, EventBus, StateChanged
from hub.devices.model import (
    Availability,
    CommandStatus,
    Device,
    Feature,
    FeatureKind,
    Protocol,
    Value,
)
from hub.devices.registry import DeviceRegistry
from hub.errors import DeviceError, InvalidValue, NotFound
from hub.store import Store
from tests.waiting import until

POWER = Feature("power", FeatureKind.SWITCH, writable=True)
LEVEL = Feature("level", FeatureKind.NUMBER, minimum=1, maximum=3, step=1, writable=True)


class LoopbackAdapter:
    """A protocol layer whose device reports back what it was told (or stays silent)."""

    def __init__(self, registry: DeviceRegistry, report: bool = True, fail: bool = False) -> None:
        self.registry = registry
        self.report = report
        self.fail = fail
        self.sent: list[tuple[str, str, Value]] = []

    async def set_value(self, device: Device, feature: Feature, value: Value) -> None:
        if self.fail:
            raise DeviceError("device said no", code=-4004)
        self.sent.append((device.id, feature.id, value))
        if self.report:
            loop = asyncio.get_running_loop()
            loop.call_later(0.01, self.registry.update, device.id, {feature.id: value})

    async def call_action(
        self, device: Device, feature: Feature, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        return {"ran": feature.id}


def purifier() -> Device:
    return Device(
        "miio-1",
        "Purifier",
        "zhimi.airpurifier.mb3",
        Protocol.MIIO,
        features={"power": POWER, "level": LEVEL},
    )


def recorder(bus: EventBus) -> list[object]:
    seen: list[object] = []
    for kind in (StateChanged, DeviceOnline, DeviceOffline):
        bus.subscribe(kind, seen.append)
    return seen


async def test_update_publishes_once_per_real_change() -> None:
    bus = EventBus()
    registry = DeviceRegistry(bus)
    registry.add(purifier())
    seen = recorder(bus)
    assert registry.update("miio-1", {"power": True, "level": 2}) == 2
    assert registry.update("miio-1", {"power": True, "level": 2}) == 0
    assert registry.update("miio-1", {"level": 3}) == 1
    changes = [(e.feature, e.value, e.old_value) for e in seen if isinstance(e, StateChanged)]
    assert changes == [("power", True, None), ("level", 2, None), ("level", 3, 2)]


async def test_flap_guard_hides_a_short_outage() -> None:
    bus = EventBus()
    registry = DeviceRegistry(bus, offline_grace=0.1)
    registry.add(purifier())
    seen = recorder(bus)
    registry.set_availability("miio-1", True)
    registry.set_availability("miio-1", False)
    await asyncio.sleep(0.02)  # the behaviour: an outage shorter than the 0.1 s grace
    registry.set_availability("miio-1", True)
    await asyncio.sleep(0.15)  # absence: the grace runs out and nothing is published
    assert [type(e) for e in seen] == [DeviceOnline]
    registry.set_availability("miio-1", False, "no reply")
    await until(lambda: isinstance(seen[-1], DeviceOffline))
    assert seen[-1].reason == "no reply"
    assert registry.get("miio-1").availability is Availability.OFFLINE
    registry.close()


async def test_command_is_confirmed_when_the_device_reports_the_value() -> None:
    registry = DeviceRegistry(EventBus(), confirm_timeout=1)
    registry.add(purifier())
    adapter = LoopbackAdapter(registry)
    registry.adapters[Protocol.MIIO] = adapter
    result = await registry.command("miio-1", "level", 3)
    assert result.status is CommandStatus.CONFIRMED
    assert adapter.sent == [("miio-1", "level", 3)]


async def test_command_is_only_acknowledged_when_no_report_agrees() -> None:
    registry = DeviceRegistry(EventBus(), confirm_timeout=0.05)
    registry.add(purifier())
    registry.adapters[Protocol.MIIO] = LoopbackAdapter(registry, report=False)
    result = await registry.command("miio-1", "power", True)
    assert result.status is CommandStatus.ACKNOWLEDGED


async def test_device_failure_is_a_failed_result_with_the_reason() -> None:
    registry = DeviceRegistry(EventBus())
    registry.add(purifier())
    registry.adapters[Protocol.MIIO] = LoopbackAdapter(registry, fail=True)
    result = await registry.command("miio-1", "power", True)
    assert result.status is CommandStatus.FAILED
    assert result.error == "device said no"


async def test_invalid_values_and_unknown_ids_are_refused_before_sending() -> None:
    registry = DeviceRegistry(EventBus())
    registry.add(purifier())
    adapter = LoopbackAdapter(registry)
    registry.adapters[Protocol.MIIO] = adapter
    with pytest.raises(InvalidValue, match=r"level.*from 1 to 3"):
        await registry.command("miio-1", "level", 7)
    with pytest.raises(NotFound):
        await registry.command("nope", "power", True)
    assert adapter.sent == []


async def test_a_restarted_registry_lists_devices_at_once_with_stale_state(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hub.db"
    async with Store(path) as store:
        registry = DeviceRegistry(EventBus(), store)
        registry.add(purifier())
        await registry.rename("miio-1", name="Bedroom purifier", room="Bedroom")
        registry.update("miio-1", {"power": True})
        await registry.set_secret("miio-1", "token", "00112233445566778899aabbccddeeff")
    async with Store(path) as store:
        registry = DeviceRegistry(EventBus(), store)
        assert await registry.load() == 1
        device = registry.get("miio-1")
        assert (device.name, device.room) == ("Bedroom purifier", "Bedroom")
        assert device.value("power") is True
        assert device.state["power"].stale
        assert device.features["level"].maximum == 3
        assert await registry.secret("miio-1", "token") == "00112233445566778899aabbccddeeff"
        assert "00112233" not in repr(device.as_dict())
