"""The demo's days of history: whatever day and hour the demo starts, the real miner finds at
least two of its household's routines in them and nothing its automation did; they are written
whole, with statistics for the charts."""

from __future__ import annotations

import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hub.bus import CommandSent, Origin
from hub.demo import HOME
from hub.demo_history import CLIMATE, DAYS, DOOR, demo_week, seed_history
from hub.habits import mine
from hub.habits.model import HabitEvent
from hub.history import HistoryDatabase

IDS = {name: f"miio-{i}" for i, (_, name, _) in enumerate(HOME)} | {"Front door": DOOR}
NAMES = {device: name for name, device in IDS.items()}
HOUR = 3600


@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai"])
def test_any_start_offers_routines_and_nothing_the_automation_did(zone: str) -> None:
    tz, began = ZoneInfo(zone), time.time()
    for hours in range(0, 7 * 24, 13):  # a week of start times, at every hour of the day
        now = began + hours * HOUR
        week = demo_week(IDS, now, tz)
        assert all(now - DAYS * 24 * HOUR <= e.at < now for e in week)
        events = [
            HabitEvent(e.at, e.device_id, e.feature, e.value, e.origin, isinstance(e, CommandSent))
            for e in week
        ]
        found = mine(events, names=NAMES, automations=[], now=now, tz=tz, window_days=10)
        titles = [s.title for s in found]
        assert len(found) >= 2, (hours, titles)
        assert any("Bedroom purifier mode to sleep" in t for t in titles), (hours, titles)
        assert not any("Living room purifier" in t for t in titles), (hours, titles)
    assert any(e.origin == Origin.AUTOMATION for e in week)  # it is there, just not a habit


async def test_the_days_are_written_whole_with_statistics(tmp_path: Path) -> None:
    now = time.time()
    week = demo_week(IDS, now, ZoneInfo("UTC"))
    await seed_history(tmp_path / "history.db", week)
    db = HistoryDatabase(tmp_path / "history.db")
    await db.open()
    try:
        ((rows,),) = await db.fetch("SELECT count(*) FROM events", ())
        assert rows == len(week)
        buckets = await db.fetch(
            "SELECT count(*) FROM statistics JOIN entities ON entities.id = entity "
            "WHERE device_id = ? AND feature = 'temperature'",
            (CLIMATE,),
        )
        assert buckets[0][0] >= DAYS * 24 * 12 - 1  # a 5-minute bucket for every reading
    finally:
        await db.close()
