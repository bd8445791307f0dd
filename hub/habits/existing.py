"""What the home's automations already do, so that no suggestion repeats one.

An automation already does a habit when one of its ``set`` actions (also inside ``choose`` and
``repeat``) sets the same feature to the same value, and one of its triggers starts it when the
habit would: for a time routine, a time trigger within :data:`NEAR` minutes (or any cron or sun
trigger); for a sequence, a state or event trigger on the signal's device; for a response, a
state trigger on the sensor's feature. Disabled automations count: the household made them.
Bodies are read as the API returns them, leniently; what is not understood is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hub.habits.log import Change

NEAR = 60
"""Minutes."""


@dataclass(frozen=True, slots=True)
class Done:
    """One action of an automation and the triggers that start it."""

    change: Change
    minutes: tuple[int, ...]
    """Times of day (minutes) of its time triggers."""
    scheduled: bool
    """A cron or sun trigger."""
    watched: frozenset[tuple[str, str | None]]
    """(device, feature) of its state triggers; (device, None) of its event triggers."""

    def at(self, minute: int) -> bool:
        near = (min(abs(m - minute), 1440 - abs(m - minute)) <= NEAR for m in self.minutes)
        return self.scheduled or any(near)


def already_done(automations: Sequence[Mapping[str, Any]]) -> dict[Change, list[Done]]:
    done: dict[Change, list[Done]] = {}
    for body in automations:
        triggers = [t for t in _list(body.get("trigger")) if isinstance(t, Mapping)]
        minutes = tuple(
            m
            for m in (_minute(t.get("at")) for t in triggers if t.get("platform") == "time")
            if m is not None
        )
        scheduled = any(t.get("platform") in ("cron", "sun") for t in triggers)
        watched = frozenset(
            (str(t.get("device")), str(t["feature"]) if t.get("platform") == "state" else None)
            for t in triggers
            if t.get("platform") in ("state", "event") and ("feature" in t or "event" in t)
        )
        for change in _sets(_list(body.get("action"))):
            done.setdefault(change, []).append(Done(change, minutes, scheduled, watched))
    return done


def _sets(actions: list[Any]) -> Iterator[Change]:
    for action in actions:
        if not isinstance(action, Mapping):
            continue
        kind = action.get("action")
        if kind == "set" and isinstance(action.get("device"), str):
            yield Change.of(action["device"], str(action.get("feature")), action.get("value"))
        elif kind == "choose":
            for option in _list(action.get("choices")):
                if isinstance(option, Mapping):
                    yield from _sets(_list(option.get("sequence")))
            yield from _sets(_list(action.get("default")))
        elif kind == "repeat":
            yield from _sets(_list(action.get("sequence")))


def _minute(at: Any) -> int | None:
    """'07:05' or '07:05:00' -> 425."""
    try:
        hours, minutes = str(at).split(":")[:2]
        return int(hours) * 60 + int(minutes)
    except ValueError:
        return None


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []
