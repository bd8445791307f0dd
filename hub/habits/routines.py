"""Time routines: the same action at about the same time of day, on most of the days it could.

For each action (a feature set to a value) the times of day it happened are searched for the
window of :data:`WIDTH` minutes that holds it on the most days; the window's points within
:data:`SPREAD` minutes of their median make a cluster. The cluster's share of weekdays and of
weekend days says which days it keeps: weekdays only when at most half the share a routine
needs had it at weekends, so few that the weekdays' share would make that unlikely (under 5 %),
and the other way round; else every day. Each cluster's points leave the pool and the search repeats
(a lamp on at 07:00 and again at 19:00 is two routines). Skipped days only lower the share; the
day counted is the local date, so a routine's time is right across daylight-saving changes.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass
from math import comb
from statistics import median
from typing import Literal
from zoneinfo import ZoneInfo

from hub.habits.log import Change, Log, let_others_run, local

Days = Literal["weekdays", "weekends", "daily"]
WIDTH = 50.0
"""Minutes: the window that finds a routine's centre."""
SPREAD = 25.0
"""Minutes from the centre that still count as the routine."""
MIN_SHARE = 0.6
"""Of the days a routine could have happened, it happened on at least this share."""
MIN_DAYS = 4
MIN_ELIGIBLE = 7
MAX_PER_ACTION = 3
STALE = 4


@dataclass(frozen=True, slots=True)
class TimeRoutine:
    change: Change
    days: Days
    minute: int
    """Minutes after local midnight: the cluster's median."""
    hits: int
    """Days it happened on."""
    eligible: int
    """Days of ``days`` kind in the log on which it could have."""
    earliest: int
    latest: int
    spread: float
    """Minutes: the cluster's interquartile range."""
    times: tuple[float, ...]

    @property
    def share(self) -> float:
        return self.hits / self.eligible


@dataclass(frozen=True, slots=True)
class _Point:
    at: float
    day: dt.date
    minute: float


def find_routines(log: Log, tz: ZoneInfo) -> list[TimeRoutine]:
    found: list[TimeRoutine] = []
    active = log.active_days(tz)
    for change, times in sorted(log.actions.items()):
        let_others_run()
        if len(times) < MIN_DAYS:
            continue
        pool = [_Point(at, *local(at, tz)) for at in times]
        every = pool
        for _ in range(MAX_PER_ACTION):
            cluster = _densest(pool)
            if len({p.day for p in cluster}) < MIN_DAYS:
                break
            routine = (
                _routine(change, cluster, log, tz, active) if _peaked(cluster, every) else None
            )
            taken = {p.at for p in cluster}
            pool = [p for p in pool if p.at not in taken]
            if routine is not None:
                found.append(routine)
    return found


def _densest(pool: list[_Point]) -> list[_Point]:
    """The points around the window of WIDTH minutes holding the most days (midnight wraps)."""
    ring = sorted(pool, key=lambda p: p.minute)
    minutes = [p.minute for p in ring] + [p.minute + 1440 for p in ring]
    best: list[_Point] = []
    best_days = 0
    for first in range(len(ring)):
        last = bisect_right(minutes, minutes[first] + WIDTH)
        window = [ring[i % len(ring)] for i in range(first, min(last, first + len(ring)))]
        days = len({p.day for p in window})
        if days > best_days:
            best, best_days = window, days
    if not best:
        return []
    centre = median(_unwrapped(best))
    return [p for p in pool if _distance(p.minute, centre) <= SPREAD]


def _peaked(cluster: list[_Point], every: list[_Point]) -> bool:
    """Whether the cluster stands out of its flanks (SPREAD to 3 SPREAD minutes from its
    centre, twice its width): at most a quarter as dense there. A habit done at any hour of
    the evening is as dense beside any window as in it, and is no routine."""
    centre = median(_unwrapped(cluster))
    flanks = sum(1 for p in every if SPREAD < _distance(p.minute, centre) <= 3 * SPREAD)
    return flanks * 2 <= len(cluster)


def _routine(
    change: Change, cluster: list[_Point], log: Log, tz: ZoneInfo, active: set[dt.date]
) -> TimeRoutine | None:
    minutes = sorted(_unwrapped(cluster))
    centre = median(minutes)
    weekday_hits = {p.day for p in cluster if p.day.weekday() < 5}
    weekend_hits = {p.day for p in cluster if p.day.weekday() >= 5}
    hit = weekday_hits | weekend_hits
    weekdays, weekends = _eligible(log, tz, change, centre, active - hit)
    weekdays += len(weekday_hits)
    weekends += len(weekend_hits)
    if weekdays + weekends < MIN_ELIGIBLE:
        return None
    on_weekdays = len(weekday_hits) / weekdays if weekdays else 0.0
    on_weekends = len(weekend_hits) / weekends if weekends else 0.0
    days: Days
    if on_weekdays >= MIN_SHARE >= on_weekends * 2 and _unlikely(
        len(weekend_hits), weekends, on_weekdays
    ):
        days, hits, eligible = "weekdays", len(weekday_hits), weekdays
    elif on_weekends >= MIN_SHARE >= on_weekdays * 2 and _unlikely(
        len(weekday_hits), weekdays, on_weekends
    ):
        days, hits, eligible = "weekends", len(weekend_hits), weekends
    else:
        days, hits, eligible = "daily", len(hit), weekdays + weekends
        if hits < MIN_SHARE * eligible:
            return None
    if hits < MIN_DAYS:
        return None
    kept = [p for p in cluster if (p.day.weekday() < 5) == (days == "weekdays") or days == "daily"]
    kept_minutes = sorted(_unwrapped(kept))
    quarter = len(kept_minutes) // 4
    return TimeRoutine(
        change=change,
        days=days,
        minute=round(median(kept_minutes)) % 1440,
        hits=hits,
        eligible=eligible,
        earliest=int(kept_minutes[0]) % 1440,
        latest=int(kept_minutes[-1]) % 1440,
        spread=kept_minutes[-1 - quarter] - kept_minutes[quarter],
        times=tuple(sorted(p.at for p in kept)),
    )


def _unlikely(hits: int, days: int, share: float) -> bool:
    """Whether at most ``hits`` of ``days`` is unlikely (under 5 %) for a habit kept on
    ``share`` of days: then the other kind of day does not keep it. With no such days, it
    cannot be told (and is kept every day)."""
    if days == 0:
        return False
    chance = sum(comb(days, k) * share**k * (1 - share) ** (days - k) for k in range(hits + 1))
    return chance < 0.05


def _eligible(
    log: Log, tz: ZoneInfo, change: Change, minute: float, days: set[dt.date]
) -> tuple[int, int]:
    """Of ``days`` (those it did not happen on), the weekdays and weekend days on which it
    could have: its time within the log, someone at home (anything done that day), and the
    value not already held since :data:`STALE` hours before (left on since last night).

    A value held since shortly before counts: when it held depends on when it was set, which
    for a habit at a random hour is earlier on the days it was not done in the window, and
    leaving those days out would make any evening habit look like a routine."""
    weekdays = weekends = 0
    for day in sorted(days):
        moment = dt.datetime.combine(day, dt.time(), tz) + dt.timedelta(minutes=minute % 1440)
        at = moment.timestamp() - SPREAD * 60
        if not log.start <= at <= log.end:
            continue
        since = log.held_since(change, at)
        if since is not None and at - since > STALE * 3600:
            continue
        if day.weekday() < 5:
            weekdays += 1
        else:
            weekends += 1
    return weekdays, weekends


def _unwrapped(points: list[_Point]) -> list[float]:
    """Minutes of points near midnight made continuous (23:55 and 00:05 are 10 apart)."""
    minutes = [p.minute for p in points]
    if minutes and max(minutes) - min(minutes) > 720:
        return [m + 1440 if m < 720 else m for m in minutes]
    return minutes


def _distance(minute: float, centre: float) -> float:
    gap = abs(minute - centre % 1440)
    return min(gap, 1440 - gap)
