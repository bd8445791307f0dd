"""A simulated household: people with routines, a house with automations, over weeks of days.

Seeded and pure: :meth:`Household.events` plays ``days`` days in simulated time (weeks take a
fraction of a second) and yields what the hub's history would hold, as plain data. The people:

- keep routines (:attr:`Household.routines`, the truth a habit miner is scored against) at a
  time with jitter, skipping some days; some only on weekdays, some only at weekends;
- react: the living-room lamp on within two minutes of coming home through the front door in
  the evening; the purifier to favourite some minutes after PM2.5 rises above their threshold;
- do things at random (noise), throw one party (a one-off), and go away for a few days.

The house's own automations (:attr:`Household.automations`) switch devices too: those changes
are ``who="automation"`` and are not anyone's habit. Sensors report as ``who="device"``: PM2.5
every five minutes (a drifting baseline and cooking spikes), the door's contact.

A person uses the phone (a ``command`` row, then the state change it causes, both
``who="person"``) or the device's own button (the state change alone, ``who="person"``,
``command=False``). Nothing here imports the hub: the test maps ``who`` to its origins.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo

Value = bool | int | float | str | None
Who = Literal["person", "automation", "device"]
Days = Literal["weekdays", "weekends", "daily"]
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class LifeEvent:
    at: float
    """Epoch seconds."""
    device_id: str
    feature: str
    value: Value
    who: Who
    command: bool
    """A command sent (from a phone or an automation); else a state change."""


@dataclass(frozen=True, slots=True)
class HouseDevices:
    """The device ids the household lives with (any ids the caller chooses)."""

    hall_light: str = "hall-light"
    living_lamp: str = "living-lamp"
    bedroom_light: str = "bedroom-light"
    purifier: str = "purifier"
    front_door: str = "front-door"
    porch_light: str = "porch-light"
    coffee_plug: str = "coffee-plug"
    others: tuple[str, ...] = ()
    """More devices, for noise and size: in turn a light, a plug and a temperature sensor."""


@dataclass(frozen=True, slots=True)
class Routine:
    """A planted habit: what a good miner finds."""

    kind: Literal["time", "sequence", "condition"]
    device_id: str
    feature: str
    value: Value
    days: Days = "daily"
    minute: int | None = None
    """time: minutes after local midnight (the routine's centre)."""
    trigger_device: str | None = None
    trigger_feature: str | None = None
    trigger_value: Value = None
    above: float | None = None
    """condition: the sensor value (``trigger_device`` / ``trigger_feature``) people react to."""


@dataclass(frozen=True, slots=True)
class PlannedAutomation:
    """One of the house's own automations: at ``minute`` on ``days``, set a feature."""

    device_id: str
    feature: str
    value: Value
    minute: int
    days: Days = "daily"


@dataclass(slots=True)
class _Day:
    start: float
    weekday: int
    away: bool
    party: bool
    intents: list[tuple[float, str, str, Value, Who, str]] = field(default_factory=list)
    """(at, device, feature, value, who, via) with via: phone, button, automation, sensor."""

    def add(
        self, minute: float, device: str, feature: str, value: Value, who: Who, via: str
    ) -> None:
        self.intents.append((self.start + minute * 60.0, device, feature, value, who, via))


class Household:
    """A seeded household; its routines' times and odds depend on the seed."""

    def __init__(
        self, seed: int, devices: HouseDevices | None = None, tz: ZoneInfo | None = None
    ) -> None:
        self.seed = seed
        self.devices = d = devices or HouseDevices()
        self.tz = tz or ZoneInfo("UTC")
        rng = random.Random(seed)
        self.jitter = rng.uniform(3.0, 6.0)
        """Minutes: the spread of a routine's time from day to day."""
        self.skip = rng.uniform(0.05, 0.15)
        self.react = rng.uniform(0.85, 0.95)
        self.noise_per_day = rng.uniform(3.0, 6.0)
        self.pm_threshold = float(rng.choice((70, 75, 80)))
        self.routines: tuple[Routine, ...] = (
            Routine("time", d.hall_light, "power", True, "weekdays", 425 + rng.randint(-30, 30)),
            Routine("time", d.purifier, "mode", "sleep", "daily", 1380 + rng.randint(-20, 10)),
            Routine("time", d.bedroom_light, "power", False, "daily", 1410 + rng.randint(-15, 15)),
            Routine("time", d.coffee_plug, "power", True, "weekends", 555 + rng.randint(-30, 30)),
            Routine(
                "sequence",
                d.living_lamp,
                "power",
                True,
                trigger_device=d.front_door,
                trigger_feature="contact",
                trigger_value=False,
            ),
            Routine(
                "condition",
                d.purifier,
                "mode",
                "favorite",
                trigger_device=d.purifier,
                trigger_feature="pm25",
                above=self.pm_threshold,
            ),
        )
        self.automations: tuple[PlannedAutomation, ...] = (
            PlannedAutomation(d.porch_light, "power", True, 1110 + rng.randint(0, 30)),
            PlannedAutomation(d.porch_light, "power", False, 1425),
            PlannedAutomation(d.hall_light, "power", False, 540, "weekdays"),
            PlannedAutomation(d.purifier, "mode", "auto", 420),
            PlannedAutomation(d.coffee_plug, "power", False, 660),
        )

    def events(self, start: dt.date, days: int) -> Iterator[LifeEvent]:
        """``days`` days of life from local midnight of ``start``, in time order."""
        rng = random.Random(f"{self.seed}:{start.isoformat()}:{days}")
        away_from = rng.randrange(3, max(4, days - 4)) if days >= 10 else -99
        party_on = rng.randrange(0, days) if days >= 7 else -99
        state: dict[tuple[str, str], Value] = {}
        pm = rng.uniform(8.0, 18.0)
        late: list[LifeEvent] = []
        for number in range(days):
            date = start + dt.timedelta(days=number)
            midnight = dt.datetime.combine(date, dt.time(), self.tz).timestamp()
            day = _Day(
                midnight, date.weekday(), away_from <= number < away_from + 3, number == party_on
            )
            self._automations(day)
            if not day.away:
                self._routines(day, rng)
                self._door(day, rng)
                self._noise(day, rng)
                if day.party:
                    self._party(day, rng)
            pm = self._air(day, rng, pm)
            ahead = sorted([*late, *_play(day, state, rng)], key=lambda e: e.at)
            tomorrow = midnight + 86400.0
            late = [e for e in ahead if e.at >= tomorrow]
            yield from (e for e in ahead if e.at < tomorrow)
        yield from late

    # ---- the day's parts ----------------------------------------------------------------

    def _automations(self, day: _Day) -> None:
        for plan in self.automations:
            if _on(plan.days, day.weekday):
                day.add(
                    plan.minute,
                    plan.device_id,
                    plan.feature,
                    plan.value,
                    "automation",
                    "automation",
                )

    def _routines(self, day: _Day, rng: random.Random) -> None:
        for routine in self.routines:
            if (
                routine.kind != "time"
                or routine.minute is None
                or not _on(routine.days, day.weekday)
            ):
                continue
            if rng.random() < self.skip:
                continue
            minute = routine.minute + max(-20.0, min(20.0, rng.gauss(0.0, self.jitter)))
            via = "phone" if rng.random() < 0.6 else "button"
            day.add(minute, routine.device_id, routine.feature, routine.value, "person", via)

    def _door(self, day: _Day, rng: random.Random) -> None:
        d = self.devices
        if day.weekday < 5:
            openings = [rng.uniform(450, 510), rng.uniform(1050, 1170)]
        else:
            openings = sorted(rng.uniform(600, 1200) for _ in range(rng.randint(1, 3)))
        for minute in openings:
            day.add(minute, d.front_door, "contact", False, "device", "sensor")
            day.add(
                minute + rng.uniform(0.3, 1.5), d.front_door, "contact", True, "device", "sensor"
            )
            if minute >= 1020 and rng.random() < self.react:  # home in the evening: the lamp
                via = "phone" if rng.random() < 0.3 else "button"
                day.add(minute + rng.uniform(0.3, 1.8), d.living_lamp, "power", True, "person", via)
        day.add(rng.uniform(1260, 1470), d.living_lamp, "power", False, "person", "button")
        day.add(rng.uniform(1140, 1340), d.bedroom_light, "power", True, "person", "button")

    def _noise(self, day: _Day, rng: random.Random) -> None:
        choices = self._actuators()
        for _ in range(_poisson(rng, self.noise_per_day)):
            device, feature, values = rng.choice(choices)
            via = "phone" if rng.random() < 0.5 else "button"
            day.add(rng.uniform(420, 1439), device, feature, rng.choice(values), "person", via)

    def _party(self, day: _Day, rng: random.Random) -> None:
        minute = rng.uniform(1230, 1290)
        for device, feature, values in self._actuators():
            if feature == "power":
                day.add(minute + rng.uniform(0, 10), device, feature, values[0], "person", "phone")

    def _air(self, day: _Day, rng: random.Random, pm: float) -> float:
        """PM2.5 every five minutes, with cooking spikes; people react to a rise."""
        d = self.devices
        meals = [rng.uniform(1080, 1200)] if rng.random() < 0.7 else []
        if day.weekday >= 5 and rng.random() < 0.5:
            meals.append(rng.uniform(720, 810))
        if rng.random() < 0.3:  # a small rise nobody minds (a candle, dusting)
            meals.append(rng.uniform(600, 1300))
        peaks = [
            (m, rng.uniform(95, 170) if n < 2 else rng.uniform(30, 60)) for n, m in enumerate(meals)
        ]
        armed = True
        for step in range(288):
            minute = step * 5.0
            pm = max(4.0, min(22.0, pm + rng.gauss(0.0, 1.2)))
            value = pm
            for begin, peak in peaks:
                since = minute - begin
                if 0 <= since < 20:
                    value += peak * since / 20
                elif since >= 20:
                    value += peak * math.exp(-(since - 20) / 25)
            reading = round(value)
            day.add(minute, d.purifier, "pm25", reading, "device", "sensor")
            if armed and reading > self.pm_threshold:
                armed = False
                if not day.away and rng.random() < self.react:
                    via = "phone" if rng.random() < 0.5 else "button"
                    day.add(
                        minute + rng.uniform(1, 8), d.purifier, "mode", "favorite", "person", via
                    )
            elif reading < self.pm_threshold * 0.6:
                armed = True
        for number, device in enumerate(d.others):
            if number % 3 == 2:
                phase = rng.uniform(-0.3, 0.3)
                for step in range(0, 288, 2):
                    warm = 21 + 2.5 * math.sin((step / 288 - 0.375) * 2 * math.pi + phase)
                    day.add(
                        step * 5.0,
                        device,
                        "temperature",
                        round(warm + rng.gauss(0, 0.15), 1),
                        "device",
                        "sensor",
                    )
        return pm

    def _actuators(self) -> list[tuple[str, str, tuple[Value, ...]]]:
        d = self.devices
        found: list[tuple[str, str, tuple[Value, ...]]] = [
            (device, "power", (True, False))
            for device in (d.hall_light, d.living_lamp, d.bedroom_light, d.coffee_plug)
        ]
        found.append((d.purifier, "mode", ("auto", "favorite", "sleep")))
        found += [(o, "power", (True, False)) for n, o in enumerate(d.others) if n % 3 != 2]
        return found


def _play(
    day: _Day, state: dict[tuple[str, str], Value], rng: random.Random
) -> Iterator[LifeEvent]:
    """The day's intents in time order: commands and the state changes they cause."""
    for at, device, feature, value, who, via in sorted(day.intents, key=lambda i: i[0]):
        key = (device, feature)
        if via in ("phone", "automation"):
            yield LifeEvent(at, device, feature, value, who, True)
            at += rng.uniform(0.2, 1.5)
        if state.get(key) != value or type(state.get(key)) is not type(value):
            state[key] = value
            yield LifeEvent(at, device, feature, value, who, False)


def _on(days: Days, weekday: int) -> bool:
    return days == "daily" or (days == "weekdays") == (weekday < 5)


def _poisson(rng: random.Random, mean: float) -> int:
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
