"""What the registry logs about devices (issue 11.7): one WARNING when a device goes offline
or stops accepting its token, one when it is back, and nothing when nothing changed; removal
forgets the device with its state and token."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from hub.bus import EventBus
from hub.devices.model import Device, Feature, FeatureKind, Protocol
from hub.devices.registry import DeviceRegistry
from hub.errors import NotFound
from hub.store import Store

LOGGER = "hub.devices"  # the registry, and its flap guard (hub.devices.availability)


def lamp() -> Device:
    power = {"power": Feature("power", FeatureKind.SWITCH, writable=True)}
    return Device("miio-7", "Desk lamp", "yeelink.light.color2", Protocol.MIIO, room="Study",
                  features=power)  # fmt: skip


def lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [
        (r.levelno, r.getMessage())
        for r in caplog.records
        if r.name in (f"{LOGGER}.registry", f"{LOGGER}.availability")
    ]


async def test_offline_and_back_are_one_line_each_and_repeats_say_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    registry = DeviceRegistry(EventBus(), offline_grace=0)
    registry.add(lamp())
    registry.set_availability("miio-7", True)
    registry.set_availability("miio-7", True)
    assert lines(caplog) == []  # first contact is not news; the runtime says "is online"
    for _ in range(3):
        registry.set_availability("miio-7", False, "no reply after 3 attempts")
    registry.set_availability("miio-7", False, "wrong token: the replies do not verify")
    registry.set_availability("miio-7", True)
    registry.set_availability("miio-7", True)
    assert lines(caplog) == [
        (logging.WARNING, "Desk lamp (miio-7) went offline: no reply after 3 attempts"),
        (logging.WARNING, "Desk lamp (miio-7) is back online"),
    ]
    caplog.clear()
    registry.set_availability("miio-7", False, "wrong token: the replies do not verify")
    assert lines(caplog) == [
        (logging.WARNING, "Desk lamp (miio-7) went offline: wrong token: the replies do not "
         "verify"),
    ]  # fmt: skip
    registry.close()


async def test_an_outage_shorter_than_the_flap_guard_logs_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    registry = DeviceRegistry(EventBus(), offline_grace=60)
    registry.add(lamp())
    registry.set_availability("miio-7", True)
    registry.set_availability("miio-7", False, "no reply")
    registry.set_availability("miio-7", True)  # back within the grace: the timer is cancelled
    assert lines(caplog) == []
    registry.close()


async def test_delete_forgets_the_device_its_state_and_its_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    async with Store(tmp_path / "hub.db") as store:
        registry = DeviceRegistry(EventBus(), store)
        registry.add(lamp())
        registry.update("miio-7", {"power": True})
        await registry.set_secret("miio-7", "token", "00112233445566778899aabbccddeeff")
        await store.flush()
        await registry.delete("miio-7")
        assert "miio-7" not in registry.devices
        for collection in ("devices", "state", "secrets"):
            assert await store.get(collection, "miio-7") is None, collection
        assert lines(caplog) == [
            (logging.INFO, "Desk lamp (miio-7) removed, with its state and secrets")
        ]
        with pytest.raises(NotFound, match="no device 'miio-7'"):
            await registry.delete("miio-7")
        registry.update("miio-7", {"power": False})  # a late report of a removed device
        await store.flush()
        assert await store.get("state", "miio-7") is None
    async with Store(tmp_path / "hub.db") as store:
        assert await DeviceRegistry(EventBus(), store).load() == 0
