"""Cron, times of day and the sun, computed without reading the clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable

import pytest

from hub.bus import EventBus
from hub.scenes.engine import AutomationEngine
from hub.scenes.schedule import CronSpec, Location, next_time_of_day
from tests.scenes.home import build_home

UTC = dt.UTC


def test_cron_steps_ranges_and_lists() -> None:
    spec = CronSpec.parse("*/15 8-9 * * 1,3")
    now = dt.datetime(2026, 11, 23, 8, 7, tzinfo=UTC)  # a Monday
    assert spec.next_after(now) == dt.datetime(2026, 11, 23, 8, 15, tzinfo=UTC)
    after_nine = dt.datetime(2026, 11, 23, 9, 50, tzinfo=UTC)
    assert spec.next_after(after_nine) == dt.datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["* * *", "61 * * * *", "* 24 * * *", "*/0 * * * *", "x * * * *", "5-2 * * * *"]
)
def test_bad_cron_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="cron"):
        CronSpec.parse(text)


def test_next_time_of_day_rolls_over_to_tomorrow() -> None:
    now = dt.datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    assert next_time_of_day(dt.time(7, 30), now) == dt.datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
    assert next_time_of_day(dt.time(23, 30), now) == dt.datetime(2026, 11, 22, 23, 30, tzinfo=UTC)


def test_sunset_with_an_offset_in_amsterdam() -> None:
    home = Location(52.37, 4.89, "Europe/Amsterdam")
    noon = dt.datetime(2026, 6, 21, 12, 0, tzinfo=home.zone)
    sunset = home.next_sun_event("sunset", 0, noon)
    assert (sunset.hour, sunset.date()) == (22, noon.date())  # a long midsummer evening
    earlier = home.next_sun_event("sunset", -3600, noon)
    assert sunset - earlier == dt.timedelta(hours=1)


def test_no_sunrise_in_polar_night_is_skipped_not_crashed() -> None:
    svalbard = Location(78.2, 15.6, "Arctic/Longyearbyen")
    winter = dt.datetime(2026, 12, 21, 12, 0, tzinfo=svalbard.zone)
    with pytest.raises(ValueError, match="no sunrise"):
        svalbard.next_sun_event("sunrise", 0, winter)


# ---- clocks: time triggers firing through the engine, on a shifted clock -------------------


def clock_before(moment: dt.datetime, lead: float) -> Callable[[], dt.datetime]:
    """A clock that reads ``lead`` seconds before ``moment`` now, and runs at real speed."""
    began = time.monotonic()
    return lambda: moment - dt.timedelta(seconds=lead - (time.monotonic() - began))


async def fired_after(trigger: dict[str, object], now: Callable[[], dt.datetime],
                      location: Location) -> list[dict[str, object]]:  # fmt: skip
    bus = EventBus()
    registry, _ = build_home(bus)
    engine = AutomationEngine(registry, bus, location=location, now=now)
    await engine.start([{"id": "clock", "trigger": [trigger], "action": [{"action": "stop"}]}])
    try:
        await asyncio.sleep(0.6)  # the behaviour: the clock runs through its trigger times
        return [t["trigger"] for t in engine.traces("clock")]
    finally:
        await engine.stop()
        registry.close()


async def test_a_cron_trigger_fires_once_at_its_minute() -> None:
    zone = Location(timezone="Europe/Paris")
    minute = dt.datetime(2026, 11, 23, 8, 15, tzinfo=zone.zone)
    fired = await fired_after({"platform": "cron", "cron": "15 8 * * 1"},
                              clock_before(minute, 0.3), zone)  # fmt: skip
    assert fired == [{"platform": "cron", "at": minute.isoformat(), "id": "0"}]


async def test_a_sun_trigger_fires_at_sunset_with_its_offset() -> None:
    home = Location(52.37, 4.89, "Europe/Amsterdam")
    sunset = home.sun_event("sunset", dt.date(2026, 6, 21))
    moment = sunset - dt.timedelta(minutes=15)
    fired = await fired_after({"platform": "sun", "event": "sunset", "offset": "-00:15:00"},
                              clock_before(moment, 0.3), home)  # fmt: skip
    assert len(fired) == 1
    assert dt.datetime.fromisoformat(str(fired[0]["at"])) == moment


async def test_a_time_of_day_trigger_does_not_fire_before_its_time() -> None:
    zone = Location()
    moment = dt.datetime(2026, 11, 22, 7, 30, tzinfo=zone.zone)
    assert await fired_after({"platform": "time", "at": "07:30:00"},
                             clock_before(moment, 5), zone) == []  # fmt: skip
    fired = await fired_after({"platform": "time", "at": "07:30:00"},
                              clock_before(moment, 0.2), zone)  # fmt: skip
    assert [t["at"] for t in fired] == [moment.isoformat()]


def test_cron_days_of_month_or_week_as_cron_has_them() -> None:
    spec = CronSpec.parse("0 9 1 * 7")  # the 1st, and every Sunday (7 is Sunday too)
    now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # Monday 23rd
    assert spec.next_after(now) == dt.datetime(2026, 11, 29, 9, 0, tzinfo=UTC)  # Sunday
    after_sunday = dt.datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    assert spec.next_after(after_sunday) == dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    weekdays_only = CronSpec.parse("30 7 * * 1-5")
    saturday = dt.datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
    assert weekdays_only.next_after(saturday) == dt.datetime(2026, 11, 30, 7, 30, tzinfo=UTC)


def test_a_yearly_cron_is_found_and_leap_days_too() -> None:
    new_year = CronSpec.parse("0 0 1 1 *").next_after(dt.datetime(2026, 1, 2, tzinfo=UTC))
    leap = CronSpec.parse("0 12 29 2 *").next_after(dt.datetime(2026, 3, 1, tzinfo=UTC))
    assert new_year == dt.datetime(2027, 1, 1, tzinfo=UTC)
    assert leap == dt.datetime(2028, 2, 29, 12, tzinfo=UTC)
    assert CronSpec.parse("59 23 31 12 *").next_after(
        dt.datetime(2026, 12, 31, 23, 59, 30, tzinfo=UTC)
    ) == dt.datetime(2027, 12, 31, 23, 59, tzinfo=UTC)


def test_cron_in_a_time_zone_keeps_the_zone() -> None:
    paris = Location(timezone="Europe/Paris").zone
    spec = CronSpec.parse("30 2 * * *")
    before_dst_ends = dt.datetime(2026, 10, 24, 12, 0, tzinfo=paris)
    moment = spec.next_after(before_dst_ends)
    assert (moment.hour, moment.minute, moment.tzinfo) == (2, 30, paris)
