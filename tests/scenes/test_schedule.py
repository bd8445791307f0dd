"""Cron, times of day and the sun, computed without reading the clock."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.scenes.schedule import CronSpec, Location, next_time_of_day

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
