"""Habit mining: suggestions from the history of what people did (see docs/HABITS.md).

:func:`mine` is pure, synchronous and deterministic, and looks at a bounded number of rows
(``hub.habits.log.MAX_EVENTS``): the caller runs it in a thread. In order:

1. the rows are sorted into people's actions, sensor signals and sensor series (``log``);
2. time routines are found among the actions (``routines``), actions are matched to signals
   (``sequences``) and to the series' crossings (``conditions``);
3. of the habits that explain one action, the one explaining most of its moments is kept, and
   another only when it explains mostly other moments;
4. what an automation already does is dropped (``existing``), the rest worded (``wording``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from hub.habits.conditions import ConditionHabit, find_conditions
from hub.habits.existing import Done, already_done
from hub.habits.log import Change, sort_history
from hub.habits.model import HabitEvent, Suggestion
from hub.habits.routines import TimeRoutine, find_routines
from hub.habits.sequences import SequenceHabit, find_sequences
from hub.habits.wording import condition_suggestion, sequence_suggestion, time_suggestion


def mine(
    events: Sequence[HabitEvent],
    *,
    names: Mapping[str, str],
    automations: Sequence[Mapping[str, Any]],
    now: float,
    tz: ZoneInfo,
    window_days: int = 28,
) -> list[Suggestion]:
    """Suggestions found in the last ``window_days`` days of ``events`` before ``now``, most
    confident first; none that an automation in ``automations`` already does."""
    log = sort_history(events, now, window_days)
    habits = _best_per_action(
        [
            *find_routines(log, tz),
            *find_sequences(log, log.timeline(), tz),
            *find_conditions(log, log.actions),
        ]
    )
    done = already_done(automations)
    found: list[Suggestion] = []
    for habit in habits:
        if any(_does(d, habit) for d in done.get(habit.change, ())):
            continue
        if isinstance(habit, TimeRoutine):
            found.append(time_suggestion(habit, names))
        elif isinstance(habit, SequenceHabit):
            found.append(sequence_suggestion(habit, names))
        else:
            found.append(condition_suggestion(habit, names))
    return sorted(found, key=lambda s: (-s.confidence, s.id))


Habit = TimeRoutine | SequenceHabit | ConditionHabit


def _best_per_action(candidates: list[Habit]) -> list[Habit]:
    """Per action, the habit explaining the most of its moments first (a time routine counts
    a tenth more: the simpler explanation); another only when at least half of the moments
    it explains are not explained already. So the lamp after the door opens, at any evening
    hour, is not also a routine at the hour it happened most."""
    kept: list[Habit] = []
    explained: defaultdict[Change, set[float]] = defaultdict(set)

    def rank(habit: Habit) -> tuple[float, str, str]:
        weight = 1.1 if isinstance(habit, TimeRoutine) else 1.0
        return (-len(habit.times) * weight, type(habit).__name__, repr(habit))

    ranked = sorted(candidates, key=rank)
    for habit in ranked:
        moments = set(habit.times)
        if len(moments & explained[habit.change]) * 2 < len(moments):
            kept.append(habit)
            explained[habit.change] |= moments
    return kept


def _does(done: Done, habit: Habit) -> bool:
    """Whether an automation that sets the habit's value starts when the habit would."""
    if isinstance(habit, TimeRoutine):
        return done.at(habit.minute)
    if isinstance(habit, SequenceHabit):
        return any(device == habit.signal.device_id for device, _ in done.watched)
    return habit.sensor in done.watched
