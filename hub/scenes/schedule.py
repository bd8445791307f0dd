"""Time: cron expressions, times of day, sunrise and sunset (astral, location from config).

The calculations take "now" as an argument and never read the clock, so tests can move time
freely. :class:`Clocks` runs one named task per time-based trigger; it sleeps in slices of at
most a minute and re-reads the wall clock after each, so a clock change, a suspend or an
early wake-up neither skips nor doubles a firing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from astral import LocationInfo
from astral.sun import sun

from hub.scenes.model import CronTrigger, SunTrigger, TimeTrigger
from hub.scenes.triggers import Listener

_LOGGER = logging.getLogger(__name__)
_SLICE = 60.0

_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_NAMES = ("minute", "hour", "day of month", "month", "day of week")


@dataclass(frozen=True, slots=True)
class CronSpec:
    """Five fields (minute hour day-of-month month day-of-week) with ``*``, ``,``, ``-``, ``/``.

    As in cron, when both day fields are restricted a day matches either of them
    ("0 9 1 * mon": the 1st of the month and every Monday); Sunday is 0 or 7.
    """

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, text: str) -> CronSpec:
        parts = text.split()
        if len(parts) != 5:
            raise ValueError(f"a cron expression has 5 fields, got {len(parts)}: '{text}'")
        fields = [_field(p, r, n) for p, r, n in zip(parts, _RANGES, _NAMES, strict=True)]
        minutes, hours, days, months, weekdays = fields
        return cls(
            tuple(sorted(minutes)), tuple(sorted(hours)), frozenset(days), frozenset(months),
            frozenset(w % 7 for w in weekdays), parts[2] == "*", parts[4] == "*",
        )  # fmt: skip

    def day_matches(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = day.isoweekday() % 7 in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def matches(self, when: dt.datetime) -> bool:
        return when.minute in self.minutes and when.hour in self.hours and self.day_matches(when)

    def next_after(self, when: dt.datetime) -> dt.datetime:
        """The first matching minute after ``when`` (same time zone), day by day: a yearly
        expression costs a few hundred date checks, not half a million minutes."""
        start = when.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        day = start.date()
        for _ in range(4 * 366 + 1):  # a 29 February comes within four years
            if self.day_matches(day):
                first = start if day == start.date() else None
                for hour in self.hours:
                    if first is not None and hour < first.hour:
                        continue
                    for minute in self.minutes:
                        if first is not None and hour == first.hour and minute < first.minute:
                            continue
                        return dt.datetime.combine(day, dt.time(hour, minute), when.tzinfo)
            day += dt.timedelta(days=1)
        raise ValueError("this cron expression never matches")


def _field(text: str, bounds: tuple[int, int], name: str) -> frozenset[int]:
    low, high = bounds
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if body == "*":
                start, end = low, high
            elif "-" in body:
                first, last = body.split("-", 1)
                start, end = int(first), int(last)
            else:
                start = end = int(body)
        except ValueError:
            raise ValueError(f"cron {name} '{part}' is not a number, range or step") from None
        if not (low <= start <= end <= high) or step < 1:
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


Fire = Callable[[Listener, dict[str, Any]], None]


class Clocks:
    """The tasks behind time, cron and sun triggers, owned per automation."""

    def __init__(self, location: Location, now: Callable[[], dt.datetime], fire: Fire) -> None:
        self.location = location
        self.now = now
        self.fire = fire
        self._tasks: dict[str, list[asyncio.Task[None]]] = {}

    def add(self, listener: Listener) -> None:
        if not isinstance(listener.trigger, TimeTrigger | CronTrigger | SunTrigger):
            return
        task = asyncio.get_running_loop().create_task(
            self._tick(listener), name=f"clock-{listener.automation_id}-{listener.index}"
        )
        self._tasks.setdefault(listener.automation_id, []).append(task)

    def remove(self, automation_id: str) -> None:
        for task in self._tasks.pop(automation_id, ()):
            task.cancel()

    async def stop(self) -> None:
        tasks = [task for tasks in self._tasks.values() for task in tasks]
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def next_moment(self, listener: Listener, now: dt.datetime) -> dt.datetime:
        trigger = listener.trigger
        if isinstance(trigger, TimeTrigger):
            return next_time_of_day(trigger.at, now)
        if isinstance(trigger, CronTrigger):
            return CronSpec.parse(trigger.cron).next_after(now)
        if isinstance(trigger, SunTrigger):
            return self.location.next_sun_event(trigger.event, trigger.offset, now)
        raise TypeError(f"not a time trigger: {trigger!r}")

    async def _tick(self, listener: Listener) -> None:
        platform = listener.trigger.platform
        while True:
            now = self.now()
            try:
                moment = self.next_moment(listener, now)
            except ValueError as exc:  # no sunset for months near the poles: look again later
                _LOGGER.info("%s: %s", listener.automation_id, exc)
                await asyncio.sleep(6 * 3600)
                continue
            while True:  # in slices, re-reading the wall clock after each
                left = moment.timestamp() - self.now().timestamp()  # right across DST too
                if left <= 0:
                    break
                await asyncio.sleep(min(left, _SLICE))
            # now >= moment here, so the next moment is strictly later: never one twice
            self.fire(listener, {"platform": platform, "at": moment.isoformat()})
