"""Found habits as suggestions: a stable id, words for people, and a ready automation body.

The id is a hash of the kind and the pattern's key, never of its counts, so mining again next
hour gives the same id and a dismissal sticks. A time routine's key holds its days and the
two-hour slot its time falls in; the slots' edges are at 01:40, 03:40 ... 23:40, where fewer
routines sit than at whole and half hours, so a routine's time drifting by minutes rarely
moves it to another slot.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any

from hub.habits.conditions import ConditionHabit
from hub.habits.log import Change
from hub.habits.model import Suggestion
from hub.habits.routines import TimeRoutine
from hub.habits.sequences import SequenceHabit

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
WEEKENDS = ["sat", "sun"]
_SWITCHES = frozenset({"power", "on", "state", "switch", "light"})
_FEATURES = {"pm25": "PM2.5", "pm10": "PM10", "co2": "CO2", "aqi": "AQI", "voc": "VOC"}
_DAYS = {"weekdays": "on weekdays", "weekends": "at weekends", "daily": "every day"}
_PLURAL = {"weekdays": "weekdays", "weekends": "weekend days", "daily": "days"}


def time_suggestion(routine: TimeRoutine, names: Mapping[str, str]) -> Suggestion:
    slot = (routine.minute + 20) // 120 % 12
    at = _clock(_nearest_five(routine.minute))
    title = f"{_verb(routine.change, names)} around {at} {_DAYS[routine.days]}"
    evidence = (
        f"{routine.hits} of the last {routine.eligible} {_PLURAL[routine.days]}, "
        f"between {_clock(routine.earliest)} and {_clock(routine.latest)}"
    )
    tightness = 1.0 - min(0.3, max(0.0, routine.spread - 10) / 100)
    condition = (
        []
        if routine.days == "daily"
        else [
            {"condition": "time", "weekdays": WEEKDAYS if routine.days == "weekdays" else WEEKENDS}
        ]
    )
    return _suggestion(
        "time",
        [*_key(routine.change), routine.days, str(slot)],
        title,
        evidence,
        routine.share * tightness,
        [{"platform": "time", "at": f"{at}:00"}],
        condition,
        routine.change,
    )


def sequence_suggestion(habit: SequenceHabit, names: Mapping[str, str]) -> Suggestion:
    when = _becomes(habit.signal, names)
    span = ""
    condition: list[dict[str, Any]] = []
    if habit.after is not None and habit.before is not None:
        span = f" between {_clock(habit.after)} and {_clock(habit.before)}"
        condition = [
            {
                "condition": "time",
                "after": f"{_clock(habit.after)}:00",
                "before": f"{_clock(habit.before)}:00",
            }
        ]
    within = _duration(habit.slowest)
    title = f"{_verb(habit.change, names)} when {when}{span}"
    evidence = f"{habit.hits} of the {habit.tries} times {when}{span}, within {within}"
    trigger = {
        "platform": "state",
        "device": habit.signal.device_id,
        "feature": habit.signal.feature,
        "to": habit.signal.value,
    }
    return _suggestion(
        "sequence",
        [*_key(habit.signal), *_key(habit.change)],
        title,
        evidence,
        habit.ratio,
        [trigger],
        condition,
        habit.change,
    )


def condition_suggestion(habit: ConditionHabit, names: Mapping[str, str]) -> Suggestion:
    device, feature = habit.sensor
    sensor = f"{names.get(device, device)} {_FEATURES.get(feature, feature.replace('_', ' '))}"
    threshold = _number(habit.threshold)
    rose = "rose above" if habit.direction == "above" else "fell below"
    title = f"{_verb(habit.change, names)} when {sensor} goes {habit.direction} {threshold}"
    evidence = (
        f"{habit.hits} of the {habit.tries} times {sensor} {rose} {threshold}, "
        f"within {_duration(habit.slowest)}"
    )
    trigger = {
        "platform": "state",
        "device": device,
        "feature": feature,
        habit.direction: habit.threshold,
    }
    return _suggestion(
        "condition",
        [device, feature, habit.direction, *_key(habit.change)],
        title,
        evidence,
        habit.ratio,
        [trigger],
        [],
        habit.change,
    )


def _suggestion(
    kind: str,
    key: list[str],
    title: str,
    evidence: str,
    confidence: float,
    trigger: list[dict[str, Any]],
    condition: list[dict[str, Any]],
    change: Change,
) -> Suggestion:
    digest = hashlib.sha256("\x1f".join([kind, *key]).encode()).hexdigest()[:16]
    automation: dict[str, Any] = {
        "id": f"habit-{digest}",
        "alias": title[:200],
        "description": f"Suggested by mihub from the household's habits: {evidence}."[:2000],
        "trigger": trigger,
        "action": [
            {
                "action": "set",
                "device": change.device_id,
                "feature": change.feature,
                "value": change.value,
            }
        ],
    }
    if condition:
        automation["condition"] = condition
    return Suggestion(
        id=digest,
        kind=kind,
        title=title,
        evidence=evidence,
        confidence=round(max(0.0, min(1.0, confidence)), 2),
        automation=automation,
    )


def _key(change: Change) -> list[str]:
    return [change.device_id, change.feature, change.text]


def _verb(change: Change, names: Mapping[str, str]) -> str:
    name = names.get(change.device_id, change.device_id)
    value = change.value
    if isinstance(value, bool) and change.feature in _SWITCHES:
        return f"Turn {'on' if value else 'off'} {name}"
    shown = ("on" if value else "off") if isinstance(value, bool) else value
    return f"Set {name} {change.feature.replace('_', ' ')} to {shown}"


def _becomes(signal: Change, names: Mapping[str, str]) -> str:
    name = names.get(signal.device_id, signal.device_id)
    value = signal.value
    if signal.feature == "contact" and isinstance(value, bool):
        return f"{name} opens" if not value else f"{name} closes"
    if signal.feature in ("occupancy", "motion") and value is True:
        return f"{name} sees motion"
    shown = ("on" if value else "off") if isinstance(value, bool) else value
    return f"{name} {signal.feature.replace('_', ' ')} turns {shown}"


def _clock(minute: int) -> str:
    return f"{minute // 60 % 24:02d}:{minute % 60:02d}"


def _nearest_five(minute: int) -> int:
    return (minute + 2) // 5 * 5 % 1440


def _duration(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"
