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


@pytest.mark.parametrize("text", ["* * *", "61 * * * *", "* 24 * * *", "*/0 * * * *"])
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
        await asyncio.sleep(0.6)
        return [t["trigger"] for t in engine.traces("clock")]
    finally:
        await engine.stop()
        registry.close()


async def test_a_cron_trigger_fires_once_at_its_minute() -> None:
    zone = Location(timezone="Europe/Paris")
    minute = dt.datetime(2026, 11, 23, 8, 15, tzinfo=zone.zone)
    fired = await fired_after({"platform": "cron", "cron": "15 8 * * 1"},
                              clock_before(minute, 0.3), zone)  # fmt: skip
    assert fired == [{"platform": "cron", "at": minute.isoformat()}]


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
