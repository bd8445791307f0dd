"""Time: cron expressions, times of day, sunrise and sunset (astral, location from config).

Every function takes "now" as an argument; nothing here reads the clock, so tests can move
time freely.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from astral import LocationInfo
from astral.sun import sun

_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_NAMES = ("minute", "hour", "day of month", "month", "day of week")


@dataclass(frozen=True, slots=True)
class CronSpec:
    """Five fields (minute hour day-of-month month day-of-week) with ``*``, ``,``, ``-``, ``/``."""

    fields: tuple[frozenset[int], ...]

    @classmethod
    def parse(cls, text: str) -> CronSpec:
        parts = text.split()
        if len(parts) != 5:
            raise ValueError(f"a cron expression has 5 fields, got {len(parts)}: '{text}'")
        return cls(tuple(_field(p, r, n) for p, r, n in zip(parts, _RANGES, _NAMES, strict=True)))

    def matches(self, when: dt.datetime) -> bool:
        minute, hour, day, month, weekday = self.fields
        return (
            when.minute in minute
            and when.hour in hour
            and when.day in day
            and when.month in month
            and (when.isoweekday() % 7) in weekday
        )

    def next_after(self, when: dt.datetime) -> dt.datetime:
        candidate = when.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        for _ in range(366 * 24 * 60):
            if self.matches(candidate):
                return candidate
            candidate += dt.timedelta(minutes=1)
        raise ValueError("this cron expression never matches within a year")


def _field(text: str, bounds: tuple[int, int], name: str) -> frozenset[int]:
    low, high = bounds
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if body == "*":
            start, end = low, high
        elif "-" in body:
            a, b = body.split("-", 1)
            start, end = int(a), int(b)
        else:
            start = end = int(body)
        if not (low <= start <= high and low <= end <= high) or step < 1:
            raise ValueError(f"cron {name} '{part}' is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def next_time_of_day(at: dt.time, now: dt.datetime) -> dt.datetime:
    candidate = now.replace(hour=at.hour, minute=at.minute, second=at.second, microsecond=0)
    return candidate if candidate > now else candidate + dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float = 0.0
    longitude: float = 0.0
    timezone: str = "UTC"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def sun_event(self, event: str, day: dt.date) -> dt.datetime:
        info = LocationInfo("home", "", self.timezone, self.latitude, self.longitude)
        times = sun(info.observer, date=day, tzinfo=self.zone)
        return times[event]

    def next_sun_event(self, event: str, offset: float, now: dt.datetime) -> dt.datetime:
        for days in range(3):
            day = (now + dt.timedelta(days=days)).date()
            try:
                moment = self.sun_event(event, day) + dt.timedelta(seconds=offset)
            except ValueError:  # polar day or night: the sun does not rise or set
                continue
            if moment > now:
                return moment
        raise ValueError(f"no {event} in the next days at this location")
