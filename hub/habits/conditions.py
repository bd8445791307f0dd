"""Responses to conditions: a sensor's number crosses a threshold, a person acts within minutes.

For each action and each numeric series, the readings at the action's moments are compared
with the series' readings over the whole log (one per hour): when the action mostly happens at
readings that are rare otherwise (high, or low), a threshold is searched among round values
near those readings. At each candidate the series' crossings are counted (upwards for "above";
re-armed only once the reading is back a fifth of the way, so a reading that jitters about the
threshold counts once), with how many were followed by the action within :data:`RESPONSE`
seconds and how many of the action's moments followed a crossing. The threshold that does best
on both (their product) is kept, if most crossings got the response and most responses had
their crossing.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from typing import Literal

from hub.habits.log import Change, Log, Series, let_others_run

RESPONSE = 900.0
"""Seconds after a crossing within which the action is a response to it."""
MIN_HITS = 4
MIN_RATIO = 0.6
MIN_COVERAGE = 0.5
UNUSUAL = 0.05
"""A reading held at most this share of the time is unusual."""
LIFT = 0.3
"""At least this share of the action's moments had an unusual reading (by chance: UNUSUAL)."""


@dataclass(frozen=True, slots=True)
class ConditionHabit:
    sensor: tuple[str, str]
    change: Change
    direction: Literal["above", "below"]
    threshold: float
    hits: int
    """Crossings followed by the action."""
    tries: int
    """Crossings."""
    slowest: float
    times: tuple[float, ...]

    @property
    def ratio(self) -> float:
        return self.hits / self.tries


def find_conditions(log: Log, actions: dict[Change, list[float]]) -> list[ConditionHabit]:
    """The series of ``log`` whose crossings are followed by ``actions``."""
    found: list[ConditionHabit] = []
    for sensor, readings in sorted(log.series.items()):
        if len(readings.times) < 10:
            continue
        hourly = sorted(_hourly(readings))
        for change, times in sorted(actions.items()):
            let_others_run()
            if len(times) < MIN_HITS or (
                change.device_id == sensor[0] and change.feature == sensor[1]
            ):
                continue
            seen = sorted(v for v in (readings.at(t) for t in times) if v is not None)
            if len(seen) < MIN_HITS:
                continue
            for direction in ("above", "below"):
                habit = _threshold(log, sensor, hourly, change, times, seen, direction)
                if habit is not None:
                    found.append(habit)
    return found


def _threshold(
    log: Log,
    sensor: tuple[str, str],
    hourly: list[float],
    change: Change,
    times: list[float],
    seen: list[float],
    direction: Literal["above", "below"],
) -> ConditionHabit | None:
    up = direction == "above"
    readings = log.series[sensor]
    scored: list[tuple[float, ConditionHabit]] = []
    for threshold in _candidates(seen, hourly, up):
        let_others_run()
        crossings = []
        answered = []
        for at in _crossings(readings, threshold, up):
            index = bisect_right(times, at)
            if index < len(times) and times[index] - at <= RESPONSE:
                answered.append((at, times[index]))
            elif log.holds(change, at):
                continue  # already so: nothing to do, not a miss
            crossings.append(at)
        if len(crossings) < MIN_HITS:
            continue
        covered = {done for _, done in answered}
        ratio, coverage = len(answered) / len(crossings), len(covered) / len(times)
        if len(answered) < MIN_HITS or ratio < MIN_RATIO or coverage < MIN_COVERAGE:
            continue
        habit = ConditionHabit(
            sensor=sensor,
            change=change,
            direction=direction,
            threshold=threshold,
            hits=len(answered),
            tries=len(crossings),
            slowest=max(done - at for at, done in answered),
            times=tuple(sorted(covered)),
        )
        scored.append((ratio * coverage, habit))
    if not scored:
        return None
    # the person's threshold: the highest (``up``) that does nearly as well as the best;
    # lower ones are crossed on the same rises, a little earlier, and score alike
    top = max(score for score, _ in scored)
    near = [habit for score, habit in scored if score >= top * 0.9]
    return max(near, key=lambda h: h.threshold) if up else min(near, key=lambda h: h.threshold)


def _candidates(seen: list[float], hourly: list[float], up: bool) -> list[float]:
    """Round thresholds below the lowest unusual reading at which the action was done (``up``;
    above the highest for ``below``): a person acts after the reading passed their threshold,
    so it lies short of all of them. A reading is unusual when it is held at most
    :data:`UNUSUAL` of the time; the action done at usual readings was done for other reasons."""
    if up:
        level = hourly[min(len(hourly) - 1, int(len(hourly) * (1 - UNUSUAL)))]
        unusual = [v for v in seen if v >= level]
    else:
        unusual = [v for v in seen if v <= hourly[int(len(hourly) * UNUSUAL)]]
    if len(unusual) < max(MIN_HITS, LIFT * len(seen)):
        return []
    edge = _edge(unusual if up else [-v for v in reversed(unusual)])
    edge = edge if up else -edge
    width = max(0.4 * abs(edge), 0.1 * (hourly[-1] - hourly[0]), 1.0)
    step = 10 ** math.floor(math.log10(width)) / 2
    if up:
        first = math.floor((edge - width) / step) * step
        found = [first + n * step for n in range(int(width / step) + 2)]
        return [round(t, 6) for t in found if t < edge]
    first = math.ceil(edge / step) * step
    found = [first + n * step for n in range(int(width / step) + 2)]
    return [round(t, 6) for t in found if t > edge]


def _edge(values: list[float]) -> float:
    """The lowest of ``values`` (in order) that is not an outlier far below the rest."""
    gap = 0.2 * (values[-1] - values[0])
    for number, value in enumerate(values[:-1]):
        if values[number + 1] - value <= gap:
            return value
    return values[-1]


def _crossings(readings: Series, threshold: float, up: bool) -> list[float]:
    """When the series went past ``threshold`` (``up``: above it), re-armed a fifth back."""
    rearm = threshold - abs(threshold) * 0.2 if up else threshold + abs(threshold) * 0.2
    crossed: list[float] = []
    first = readings.values[0]
    armed = not (first > threshold if up else first < threshold)
    for at, value in zip(readings.times, readings.values, strict=True):
        past = value > threshold if up else value < threshold
        if armed and past:
            crossed.append(at)
            armed = False
        elif not armed and (value < rearm if up else value > rearm):
            armed = True
    return crossed


def _hourly(readings: Series) -> list[float]:
    start, end = readings.times[0], readings.times[-1]
    found = []
    at = start
    while at <= end:
        value = readings.at(at, stale=math.inf)
        if value is not None:
            found.append(value)
        at += 3600.0
    return found
