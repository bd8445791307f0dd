"""The simulated household as the hub's history, and suggestions scored against its truth.

Shared by the habit tests and bench/habits.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from firmware_sim.household import HouseDevices, Household, LifeEvent, PlannedAutomation, Routine
from hub.bus import Origin
from hub.habits.miner import mine
from hub.habits.model import HabitEvent, Suggestion

TZ = ZoneInfo("Europe/Berlin")
START = dt.date(2026, 10, 5)
DAYS = 28
NAMES = {
    "hall-light": "Hall light",
    "living-lamp": "Living-room lamp",
    "bedroom-light": "Bedroom light",
    "purifier": "Purifier",
    "front-door": "Front door",
    "porch-light": "Porch light",
    "coffee-plug": "Coffee machine",
}


def habit_events(life: Iterable[LifeEvent]) -> list[HabitEvent]:
    """What the hub's recorder keeps of the household: a phone's command and the change it
    causes are API; a press on the device itself is DEVICE, as are sensor readings."""
    rows: list[HabitEvent] = []
    phoned: dict[tuple[str, str], float] = {}
    for event in life:
        key = (event.device_id, event.feature)
        if event.who == "automation":
            origin = Origin.AUTOMATION
        elif event.who == "device":
            origin = Origin.DEVICE
        elif event.command:
            origin, phoned[key] = Origin.API, event.at
        else:
            origin = Origin.API if event.at - phoned.get(key, -1e9) < 5 else Origin.DEVICE
        rows.append(
            HabitEvent(event.at, event.device_id, event.feature, event.value, origin, event.command)
        )
    return rows


def automation_body(plan: PlannedAutomation, number: int) -> dict[str, Any]:
    """One of the house's own automations, as the API lists it."""
    hours, minutes = divmod(plan.minute, 60)
    body: dict[str, Any] = {
        "id": f"house-{number}",
        "trigger": [{"platform": "time", "at": f"{hours:02d}:{minutes:02d}:00"}],
        "action": [
            {
                "action": "set",
                "device": plan.device_id,
                "feature": plan.feature,
                "value": plan.value,
            }
        ],
    }
    if plan.days != "daily":
        days = ["mon", "tue", "wed", "thu", "fri"] if plan.days == "weekdays" else ["sat", "sun"]
        body["condition"] = [{"condition": "time", "weekdays": days}]
    return body


@dataclass(frozen=True, slots=True)
class Run:
    household: Household
    rows: list[HabitEvent]
    suggestions: list[Suggestion]
    now: float


def run(
    seed: int,
    *,
    days: int = DAYS,
    with_automations: bool = True,
    devices: HouseDevices | None = None,
) -> Run:
    household = Household(seed, devices, TZ)
    rows = habit_events(household.events(START, days))
    now = dt.datetime.combine(START + dt.timedelta(days=days), dt.time(), TZ).timestamp()
    bodies = [automation_body(p, n) for n, p in enumerate(household.automations)]
    suggestions = mine(
        rows, names=NAMES, automations=bodies if with_automations else [], now=now, tz=TZ
    )
    return Run(household, rows, suggestions, now)


def matches(suggestion: Suggestion, routine: Routine) -> bool:
    """The suggestion automates the planted routine: same action, same trigger, near in time
    (20 minutes) or threshold (15 %), same days."""
    body = suggestion.automation
    action, trigger = body["action"][0], body["trigger"][0]
    if (
        suggestion.kind != routine.kind
        or (action["device"], action["feature"], action["value"])
        != (routine.device_id, routine.feature, routine.value)
        or type(action["value"]) is not type(routine.value)
    ):
        return False
    if routine.kind == "time":
        hours, minutes = map(int, trigger["at"].split(":")[:2])
        near = abs(hours * 60 + minutes - (routine.minute or 0)) <= 20
        days = {c["condition"]: c.get("weekdays") for c in body.get("condition", [])}.get("time")
        wanted = {
            "daily": None,
            "weekdays": ["mon", "tue", "wed", "thu", "fri"],
            "weekends": ["sat", "sun"],
        }[routine.days]
        return near and days == wanted
    if routine.kind == "sequence":
        return (trigger["device"], trigger["feature"], trigger.get("to")) == (
            routine.trigger_device,
            routine.trigger_feature,
            routine.trigger_value,
        )
    threshold = trigger.get("above")
    return (
        (trigger["device"], trigger["feature"]) == (routine.trigger_device, routine.trigger_feature)
        and threshold is not None
        and routine.above is not None
        and abs(threshold - routine.above) <= 0.15 * routine.above
    )


def precision_recall(result: Run) -> tuple[float, float]:
    routines = result.household.routines
    right = [s for s in result.suggestions if any(matches(s, r) for r in routines)]
    found = [r for r in routines if any(matches(s, r) for s in result.suggestions)]
    precision = len(right) / len(result.suggestions) if result.suggestions else 1.0
    return precision, len(found) / len(routines)
