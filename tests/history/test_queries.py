"""The query layer answers the same on both databases: raw rows a page at a time, statistics
filled forward; and only this hub's features when hubs share a PostgreSQL database."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hub.bus import EventBus, Origin
from hub.history import HistoryRecorder
from hub.history.postgres import PostgresHistory
from hub.history.queries import HistoryReader
from tests.api.home import build_home
from tests.history.conftest import MakeBackend

DAY = 86_400


async def test_raw_rows_come_a_page_at_a_time_oldest_first(make_backend: MakeBackend) -> None:
    bus = EventBus()
    registry, _ = build_home(bus)
    t0 = time.time() - 3600
    async with HistoryRecorder(bus, make_backend()) as recorder:
        for minute in range(5):  # rows in five minute blocks
            registry.update("lamp", {"brightness": 10 + minute}, at=t0 + minute * 60)
        await registry.command("lamp", "power", True, Origin.API)
        await recorder.flush()
        reader = HistoryReader(recorder.db)
        features = await reader.features("lamp")
        chosen = {"brightness": features["brightness"]}
        pages, cursor = [], None
        while True:
            page = await reader.raw(chosen, t0 - 1, time.time() + 1, 2, cursor)
            pages.append([(row.feature, row.value, row.kind, row.origin) for row in page.rows])
            if page.next is None:
                break
            cursor = page.next
    registry.close()
    assert pages == [
        [("brightness", 10, "state", "device"), ("brightness", 11, "state", "device")],
        [("brightness", 12, "state", "device"), ("brightness", 13, "state", "device")],
        [("brightness", 14, "state", "device")],
    ]


async def test_statistics_are_filled_forward_and_paged(make_backend: MakeBackend) -> None:
    bus = EventBus()
    registry, _ = build_home(bus)
    day = int(time.time()) // DAY * DAY - 2 * DAY
    async with HistoryRecorder(bus, make_backend()) as recorder:
        registry.update("thermo", {"temperature": 10.0}, at=day + 3600)
        registry.update("thermo", {"temperature": 30.0}, at=day + 3600 + 150)
        registry.update("thermo", {"temperature": 20.0}, at=day + 7200)
        await recorder.flush()
        reader = HistoryReader(recorder.db)
        features = {"temperature": (await reader.features("thermo"))["temperature"]}
        hours = await reader.statistics(features, day, day + 3 * 3600, 3600, 100)
        first = await reader.statistics(features, day, day + 3 * 3600, 300, 3)
        rest = await reader.statistics(features, day, day + 3 * 3600, 300, 100, first.next)
    registry.close()
    assert [(row.start - day, row.min, row.max) for row in hours.rows] == [
        (3600, 10.0, 30.0),
        (7200, 20.0, 30.0),  # 30 held as the hour began
    ]
    assert hours.rows[0].mean == pytest.approx((10 * 150 + 30 * 3450) / 3600)
    five = first.rows + rest.rows
    assert len(first.rows) == 3
    assert first.next is not None
    assert rest.next is None
    assert [row.start - day for row in five] == list(range(3600, 3 * 3600, 300))
    assert [row.mean for row in five[2:12]] == [30.0] * 10  # quiet: the held value
    assert five[-1].mean == 20.0


async def test_days_and_hours_follow_the_hubs_clock(make_backend: MakeBackend) -> None:
    """A day is local midnight to midnight, 25 hours when summer time ends; an hour in India
    starts at half past by UTC."""
    amsterdam, india = ZoneInfo("Europe/Amsterdam"), ZoneInfo("Asia/Kolkata")

    def at(day: int, hour: int, tz: ZoneInfo = amsterdam) -> int:
        return int(datetime(2026, 10, day, hour, tzinfo=tz).timestamp())

    bus = EventBus()
    registry, _ = build_home(bus)
    async with HistoryRecorder(bus, make_backend()) as recorder:
        for day, value in ((24, 10.0), (25, 20.0), (26, 30.0)):  # summer time ends on the 25th
            registry.update("thermo", {"temperature": value}, at=at(day, 12))
        await recorder.flush()
        features = {
            "temperature": (await HistoryReader(recorder.db).features("thermo"))["temperature"]
        }
        here = HistoryReader(recorder.db, clock=lambda: at(27, 0), tz=amsterdam)
        days = await here.statistics(features, at(24, 0), at(27, 0), DAY, 100)
        there = HistoryReader(recorder.db, clock=lambda: at(27, 0), tz=india)
        hours = await there.statistics(features, at(25, 11), at(25, 14), 3600, 100)
        paged = await here.statistics(features, at(24, 0), at(27, 0), DAY, 1)
        rest = await here.statistics(features, at(24, 0), at(27, 0), DAY, 100, paged.next)
    registry.close()
    assert [row.start for row in days.rows] == [at(24, 0), at(25, 0), at(26, 0)]
    assert at(26, 0) - at(25, 0) == 25 * 3600
    # the 25th: 13 hours of 10 before noon (the clock went back at 03:00), 12 of 20 after
    assert [row.mean for row in days.rows] == [10.0, pytest.approx(14.8), pytest.approx(25.0)]
    assert [row.start for row in paged.rows + rest.rows] == [at(24, 0), at(25, 0), at(26, 0)]
    # three hours from a whole hour in Amsterdam touch four Indian hours, each from :00 there
    assert [datetime.fromtimestamp(row.start, india).minute for row in hours.rows] == [0] * 4


async def test_hubs_sharing_a_postgresql_read_only_their_own_features(
    postgres_database: str,
) -> None:
    bus = EventBus()
    registry, _ = build_home(bus)
    async with HistoryRecorder(bus, PostgresHistory(postgres_database, "home")) as recorder:
        registry.update("lamp", {"brightness": 40})
        await recorder.flush()
    other_bus = EventBus()
    other_registry, _ = build_home(other_bus)
    other = HistoryRecorder(other_bus, PostgresHistory(postgres_database, "elsewhere"))
    async with other:
        other_registry.update("lamp", {"brightness": 90})
        await other.flush()
        reader = HistoryReader(other.db)
        features = await reader.features("lamp")
        page = await reader.raw(features, 0, time.time() + 1, 100)
    registry.close()
    other_registry.close()
    assert [(row.feature, row.value) for row in page.rows] == [("brightness", 90)]
