"""The habit service: mines a bounded window of recorded history with the real miner, in the
background after a delay and then again and again, and leaves out what an automation does."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.bus import CommandSent, EventBus, Origin, StateChanged
from hub.devices.model import Device, Feature, FeatureCategory, FeatureKind, Protocol
from hub.devices.registry import DeviceRegistry
from hub.habits.service import HabitService, HabitSettings
from hub.history import HistoryDatabase, HistoryRecorder
from hub.history.queries import HistoryReader
from hub.store import Store
from tests.api.home import build_home
from tests.waiting import until

DAY = 86_400
LINK = Feature("linkquality", FeatureKind.SENSOR, category=FeatureCategory.DIAGNOSTIC)
PLUG = {"state": Feature("state", FeatureKind.SWITCH, writable=True), "linkquality": LINK}


@dataclass
class House:
    bus: EventBus
    registry: DeviceRegistry
    store: Store
    recorder: HistoryRecorder
    automations: list[Mapping[str, Any]] = field(default_factory=list)

    def service(self, now: float | None = None, **settings: Any) -> HabitService:
        clock = time.time if now is None else lambda: now
        return HabitService(
            HistoryReader(self.recorder.db), self.registry, self.store, lambda: self.automations,
            tz=ZoneInfo("UTC"), settings=HabitSettings(**settings), clock=clock,
        )  # fmt: skip

    async def lamp_on_every_morning(self, days: int, now: float) -> int:
        """The lamp switched on from the phone around 07:05 on each of ``days`` days, and
        the plug's link quality reported every 10 minutes; returns the rows recorded."""
        events: list[CommandSent | StateChanged] = []
        today = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0)
        for day in range(days, 0, -1):
            at = (today - timedelta(days=day, hours=-7, minutes=-5)).timestamp() + day % 5 * 60
            events.append(CommandSent("lamp", "power", True, Origin.API, "confirmed", at))
            events.append(StateChanged("lamp", "power", True, at=at + 0.5, origin=Origin.API))
            for minute in range(0, 24 * 60, 10):
                seen = today.timestamp() - day * DAY + minute * 60
                events.append(StateChanged("plug", "linkquality", 100 + minute % 7, at=seen))
        for event in sorted(events, key=lambda e: e.at):
            self.bus.publish(event)
        await self.recorder.flush(now)
        return len(events)


@pytest.fixture
async def house(tmp_path: Path) -> AsyncIterator[House]:
    bus = EventBus()
    recorder = HistoryRecorder(bus, HistoryDatabase(tmp_path / "history.db"))
    async with Store(tmp_path / "hub.db") as store:
        registry, _ = build_home(bus, store)
        registry.add(Device("plug", "Plug", "test.plug", Protocol.ZIGBEE2MQTT, features=PLUG))
        # recording from here: a feature's rows are stored in the order they come, so the
        # home's state as of now must not be recorded before the days the tests play back
        async with recorder:
            yield House(bus, registry, store, recorder)
        registry.close()


async def test_a_routine_in_the_history_becomes_a_suggestion(house: House) -> None:
    now = time.time()
    await house.lamp_on_every_morning(10, now)
    service = house.service()
    found = await service.refresh()
    assert [s.title for s in found] == ["Turn on Lamp around 07:05 every day"], found
    assert found[0].evidence.startswith("10 of the last 10 days")
    assert service.offered() == found
    assert service.mined_at is not None
    assert service.rows_read == 20  # the lamp's; the plug's diagnostic rows are not read


async def test_only_the_window_is_read_and_at_most_max_rows(
    house: House, caplog: pytest.LogCaptureFixture
) -> None:
    # mined at 06:00 yesterday, so the window's first day still holds that morning's 07:05
    # (mined after 07:05, the window would hold 7 mornings: the count hangs on the hour)
    now = time.time() // DAY * DAY - DAY + 6 * 3600
    await house.lamp_on_every_morning(10, now)
    service = house.service(now, window_days=8)
    assert [s.evidence[:22] for s in await service.refresh()] == ["8 of the last 8 days, "]
    assert service.rows_read == 16
    bounded = house.service(max_rows=5)
    with caplog.at_level(logging.WARNING):
        await bounded.refresh()
    assert bounded.rows_read == 5
    assert "the first 5 history rows" in caplog.text


async def test_what_an_automation_already_does_is_not_suggested(house: House) -> None:
    now = time.time()
    await house.lamp_on_every_morning(10, now)
    (suggestion,) = await house.service().refresh()
    house.automations.append(suggestion.automation | {"id": "mine", "alias": "My morning"})
    assert await house.service().refresh() == []


async def test_it_mines_by_itself_after_a_delay_and_then_again(house: House) -> None:
    now = time.time()
    await house.lamp_on_every_morning(10, now)
    service = house.service(first_after=0.05, every=0.05)
    await service.start()
    try:
        await until(lambda: len(service.suggestions) == 1)
        first = service.mined_at
        await until(lambda: service.mined_at != first)  # the next round came by itself
    finally:
        await service.stop()
