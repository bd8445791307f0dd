"""Sequences: a sensor's signal (the front door opens), then a person's action within minutes.

Every signal's occurrence looks ahead :data:`WINDOW` seconds for actions. A pair (signal,
action) with enough hits gets a time-of-day span from its hits (outliers more than two hours
from the rest dropped, padded by half an hour): the door opening in the morning, when nobody
turns on the lamp, does not count against "the lamp when coming home in the evening". The pair
holds when most of the signal's occurrences within the span were followed by the action, far
more often than the action's own rate would give by chance.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from hub.habits.log import Change, Log, let_others_run, local

WINDOW = 150.0
"""Seconds after the signal within which the action counts (\"within 2 minutes\", and some)."""
MIN_HITS = 5
MIN_RATIO = 0.6
PAD = 30
"""Minutes added to each side of the hits' span of the day."""
OUTLIER = 120.0
WHOLE_DAY = 20 * 60
"""A span longer than this many minutes is no span: no time condition."""


@dataclass(frozen=True, slots=True)
class SequenceHabit:
    signal: Change
    change: Change
    hits: int
    tries: int
    """The signal's occurrences within the span."""
    after: int | None
    """Minutes after local midnight the span begins (None: all day)."""
    before: int | None
    slowest: float
    """Seconds: the longest a hit took."""
    times: tuple[float, ...]
    """The actions it explains."""

    @property
    def ratio(self) -> float:
        return self.hits / self.tries


def find_sequences(
    log: Log, actions: list[tuple[float, Change]], tz: ZoneInfo
) -> list[SequenceHabit]:
    """The signals of ``log`` followed by ``actions`` (in time order)."""
    days = max(1.0, (log.end - log.start) / 86400)
    times = [at for at, _ in actions]
    counts: defaultdict[Change, int] = defaultdict(int)
    for _, change in actions:
        counts[change] += 1
    candidates: list[SequenceHabit] = []
    for signal, occurrences in sorted(log.signals.items()):
        if len(occurrences) < MIN_HITS:
            continue
        hits: defaultdict[Change, list[tuple[float, float]]] = defaultdict(list)
        let_others_run()
        for start in occurrences:
            seen: set[Change] = set()
            for index in range(bisect_right(times, start), bisect_right(times, start + WINDOW)):
                change = actions[index][1]
                if change not in seen and change.device_id != signal.device_id:
                    seen.add(change)
                    hits[change].append((start, times[index]))
        for change, pairs in sorted(hits.items()):
            if len(pairs) >= MIN_HITS:
                habit = _habit(log, signal, change, pairs, occurrences, tz, counts[change] / days)
                if habit is not None:
                    candidates.append(habit)
    return candidates


def _habit(
    log: Log,
    signal: Change,
    change: Change,
    pairs: list[tuple[float, float]],
    occurrences: list[float],
    tz: ZoneInfo,
    per_day: float,
) -> SequenceHabit | None:
    minutes = sorted(local(start, tz)[1] for start, _ in pairs)
    minutes = _without_outliers(minutes)
    after = max(0, int(minutes[0] - PAD) // 15 * 15)
    before = min(1440, -(-int(minutes[-1] + PAD) // 15) * 15)
    span = before - after
    if span >= WHOLE_DAY:
        after, before, span = 0, 1440, 1440

    def inside(at: float) -> bool:
        return after <= local(at, tz)[1] < before

    kept = [(start, done) for start, done in pairs if inside(start)]
    starts = {start for start, _ in kept}
    # a signal when the action's state already held left nothing to do: not a miss
    tries = sum(1 for s in occurrences if inside(s) and (s in starts or not log.holds(change, s)))
    if len(kept) < MIN_HITS or len(kept) / tries < MIN_RATIO:
        return None
    chance = per_day * (WINDOW / 60) / span  # P(the action falls in a window by chance)
    if len(kept) / tries < 5 * chance:
        return None
    return SequenceHabit(
        signal=signal,
        change=change,
        hits=len(kept),
        tries=tries,
        after=None if span == 1440 else after,
        before=None if span == 1440 else before % 1440,
        slowest=max(done - start for start, done in kept),
        times=tuple(done for _, done in kept),
    )


def _without_outliers(minutes: list[float]) -> list[float]:
    """Drop ends more than OUTLIER minutes from their neighbour (a chance hit at noon)."""
    while len(minutes) > MIN_HITS and minutes[1] - minutes[0] > OUTLIER:
        minutes = minutes[1:]
    while len(minutes) > MIN_HITS and minutes[-1] - minutes[-2] > OUTLIER:
        minutes = minutes[:-1]
    return minutes
