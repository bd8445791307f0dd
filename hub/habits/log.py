"""History sorted into what mining needs: people's actions, sensor signals, sensor series.

Which rows are a person's action (a habit is made of these, nothing else):

- a command from a phone or another API client (``API``) or from an MQTT client such as Home
  Assistant or a wall panel bridged over MQTT (``MQTT``);
- a state change the device reports by itself (``DEVICE``) of a feature that is ever commanded
  (a light's power, a purifier's mode): someone pressed its button or used its panel. A change
  that only confirms a command sent in the minute before (by anyone) is not a second action.

Never an action: what an automation or a scene did (``AUTOMATION``, ``SCENE``), and a command
whose sender did not say who it was (``UNKNOWN``), since a script is as likely as a person.
A feature never commanded is a sensor: its on/off or text changes are *signals* (a door's
contact) that may start a sequence, and its numbers are a *series* (PM2.5) whose crossings may
start a response. Numbers from a commanded feature (a brightness) are actions by their exact value.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from hub.bus import Origin
from hub.habits.model import HabitEvent, Value

MAX_EVENTS = 300_000
"""Mining looks at most at this many rows (the latest), however long the history handed in."""
ECHO = 60.0
"""Seconds within which a state change is taken to confirm a command (not a second action),
and within which the same action twice counts once."""
PEOPLE = frozenset({Origin.API, Origin.MQTT})


@dataclass(frozen=True, slots=True, order=True)
class Change:
    """A feature set to a value. ``text`` is the value as JSON, so ``true`` is not ``1``."""

    device_id: str
    feature: str
    text: str

    @classmethod
    def of(cls, device_id: str, feature: str, value: Value) -> Change:
        return cls(device_id, feature, json.dumps(value))

    @property
    def value(self) -> Value:
        loaded: Value = json.loads(self.text)
        return loaded


@dataclass(frozen=True, slots=True)
class Series:
    """A numeric sensor's readings, in time order."""

    times: list[float]
    values: list[float]

    def at(self, when: float, stale: float = 3600.0) -> float | None:
        """The reading held at ``when``; None when there is none, or the last is older than
        ``stale`` seconds."""
        index = bisect_right(self.times, when) - 1
        if index < 0 or when - self.times[index] > stale:
            return None
        return self.values[index]


@dataclass(slots=True)
class Log:
    start: float
    """The first moment the log covers: the window's start, or the first row when later."""
    end: float
    actions: dict[Change, list[float]] = field(default_factory=dict)
    """A person's actions, each change's times in order."""
    signals: dict[Change, list[float]] = field(default_factory=dict)
    series: dict[tuple[str, str], Series] = field(default_factory=dict)
    states: dict[tuple[str, str], tuple[list[float], list[str]]] = field(default_factory=dict)
    """Each commanded feature's reported values (as JSON), whoever changed them."""

    def holds(self, change: Change, at: float) -> bool:
        """Whether the feature already had the change's value at ``at``: nothing to do then."""
        return self.held_since(change, at) is not None

    def held_since(self, change: Change, at: float) -> float | None:
        """Since when the feature has had the change's value, if it has it at ``at``."""
        times, texts = self.states.get((change.device_id, change.feature), ([], []))
        index = bisect_right(times, at) - 1
        if index < 0 or texts[index] != change.text:
            return None
        while index > 0 and texts[index - 1] == change.text:
            index -= 1
        return times[index]

    def active_days(self, tz: ZoneInfo) -> set[dt.date]:
        """The local dates on which anyone did anything (a day away from home is not one)."""
        return {local(at, tz)[0] for times in self.actions.values() for at in times}

    def timeline(self) -> list[tuple[float, Change]]:
        """Every action in time order."""
        return sorted((at, change) for change, times in self.actions.items() for at in times)


def sort_history(events: Sequence[HabitEvent], now: float, window_days: int) -> Log:
    """The rows of the last ``window_days`` days before ``now`` (at most :data:`MAX_EVENTS`)
    sorted into a :class:`Log`."""
    since = now - window_days * 86400.0
    rows = [e for e in events if since <= e.at <= now]
    rows.sort(key=lambda e: (e.at, not e.command))
    rows = rows[-MAX_EVENTS:]
    log = Log(start=rows[0].at if rows else now, end=now)
    commanded = {(e.device_id, e.feature) for e in rows if e.command}
    last_command: dict[tuple[str, str], tuple[float, Value]] = {}
    numbers: dict[tuple[str, str], tuple[list[float], list[float]]] = {}
    for number, row in enumerate(rows):
        if number % 500 == 0:
            let_others_run()
        key = (row.device_id, row.feature)
        if row.command:
            last_command[key] = (row.at, row.value)
            if row.origin in PEOPLE:
                _act(log, row)
            continue
        if key not in commanded:
            if isinstance(row.value, int | float) and not isinstance(row.value, bool):
                times, values = numbers.setdefault(key, ([], []))
                times.append(row.at)
                values.append(float(row.value))
            elif row.value is not None:
                log.signals.setdefault(Change.of(*key, row.value), []).append(row.at)
            continue
        held, texts = log.states.setdefault(key, ([], []))
        held.append(row.at)
        texts.append(json.dumps(row.value))
        if row.origin in PEOPLE or row.origin is Origin.DEVICE:
            sent = last_command.get(key)
            if sent is None or row.at - sent[0] > ECHO or not _same(sent[1], row.value):
                _act(log, row)
    log.series = {key: Series(times, values) for key, (times, values) in numbers.items()}
    return log


def let_others_run() -> None:
    """Give up the interpreter lock for a moment: mining runs in a thread beside the event
    loop, and a loop that wakes up takes the lock at once instead of waiting for the next
    forced switch (5 ms). Nothing else happens; called every few hundred steps."""
    time.sleep(0)


def _act(log: Log, row: HabitEvent) -> None:
    value = row.value
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return  # nothing an automation could set
    times = log.actions.setdefault(Change.of(row.device_id, row.feature, row.value), [])
    if not times or row.at - times[-1] > ECHO:
        times.append(row.at)


def _same(a: Value, b: Value) -> bool:
    return json.dumps(a) == json.dumps(b)


def local(at: float, tz: ZoneInfo) -> tuple[dt.date, float]:
    """The local date of ``at`` and its minute of that day (with seconds as a fraction)."""
    moment = dt.datetime.fromtimestamp(at, tz)
    return moment.date(), moment.hour * 60 + moment.minute + moment.second / 60
