"""A week of plausible history for the demo, so its charts and habit suggestions show at once.

On a fresh data directory the demo plays the ``DAYS`` days before it started, seeded (the same
home every time; nine days: a full 7-day chart, and enough weekdays for the miner to trust a
weekday routine whichever day the demo starts on): the sensors' day curves every five
minutes (:mod:`firmware_sim.scenario`'s temperature and humidity, PM2.5 with cooking spikes),
and a household with routines that jitter, skip days and differ at weekends:

- the hall light on around 07:05 and off around 08:10 on weekdays, later at weekends;
- the bedroom purifier to sleep around 23:00, back to auto around 07:30 on weekdays;
- the front door opening in the evening, then the reading lamp on within two minutes;
- one-offs (the kitchen and ceiling lights at random times) that are not habits;
- the demo's own automation setting the living-room purifier to favourite when cooking
  dirties the air (origin ``automation``: that is not a habit either).

It is written through the history recorder (on a bus of its own) in one transaction.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from firmware_sim.scenario import day_humidity, day_temperature
from hub.bus import CommandSent, DeviceAdded, EventBus, Origin, StateChanged
from hub.devices.registry import DeviceRegistry
from hub.history import HistoryDatabase, HistoryRecorder

DAYS = 9
EVERY = 300.0
"""Seconds between two sensor readings."""
CLIMATE = "zigbee-0x00158d0000000001"
MOTION = "zigbee-0x00158d0000000002"  # the bridge's RTCGQ11LM motion sensor
DOOR = "zigbee-0x00158d0000000003"
SEED = 14

Event = StateChanged | CommandSent


@dataclass
class Week:
    """The demo's devices by name (``hub.demo.HOME``'s names -> ids) and what happened."""

    ids: Mapping[str, str]
    rng: random.Random
    events: list[Event] = field(default_factory=list)
    held: dict[tuple[str, str], object] = field(default_factory=dict)
    """What a command last set (days are played one after another, not in time order)."""

    def id(self, name: str) -> str:
        return self.ids[name]

    def reading(self, device: str, feature: str, value: float | bool, at: float) -> None:
        self.events.append(StateChanged(device, feature, value, at=at, origin=Origin.DEVICE))

    def person(self, name: str, feature: str, value: object, at: float) -> None:
        """Someone on the phone: the command, then the change it causes."""
        self.command(name, feature, value, at, Origin.API)

    def command(self, name: str, feature: str, value: object, at: float, origin: Origin) -> None:
        """A command, and the change it causes unless the device already had that value."""
        device = self.id(name)
        self.events.append(CommandSent(device, feature, value, origin, "confirmed", at))
        if self.held.get((device, feature)) != value:
            self.held[device, feature] = value
            after = at + self.rng.uniform(0.2, 1.5)
            self.events.append(StateChanged(device, feature, value, at=after, origin=origin))


def demo_week(ids: Mapping[str, str], now: float, tz: ZoneInfo, seed: int = SEED) -> list[Event]:
    """The week before ``now`` in the demo's home, oldest first."""
    week = Week(ids, random.Random(seed))
    start = now - DAYS * 86400.0
    _sensors(week, start, now, tz)
    for midnight in _midnights(start, now, tz):
        _day(week, midnight, datetime.fromtimestamp(midnight, tz).weekday() >= 5)
    events = [e for e in week.events if start <= e.at < now]
    events.sort(key=lambda event: event.at)
    return events


def _midnights(start: float, end: float, tz: ZoneInfo) -> Iterator[float]:
    day = datetime.fromtimestamp(start, tz).replace(hour=0, minute=0, second=0, microsecond=0)
    while day.timestamp() < end:
        yield day.timestamp()
        day = (day + timedelta(days=1, hours=2)).replace(hour=0)  # a DST day is 23 or 25 h


def _sensors(week: Week, start: float, end: float, tz: ZoneInfo) -> None:
    rng = week.rng
    purifiers = [week.id(n) for n in ("Living room purifier", "Bedroom purifier", "Study purifier")]
    pm25 = dict.fromkeys(purifiers, 8.0)
    at = start - start % EVERY
    while at < end:
        local = datetime.fromtimestamp(at, tz)
        hour = local.hour + local.minute / 60
        temperature, humidity = day_temperature(hour), day_humidity(hour)
        week.reading(CLIMATE, "temperature", round(temperature + rng.uniform(-0.2, 0.2), 1), at)
        week.reading(CLIMATE, "humidity", round(humidity + rng.uniform(-0.5, 0.5), 1), at)
        for index, device in enumerate(purifiers):
            cooking = index == 0 and _cooking(hour)
            level = pm25[device] * 0.7 + rng.uniform(5, 12) * 0.3  # the filter cleans it away
            if cooking and rng.random() < 0.35:
                level = rng.uniform(90, 190)
                _automation_favourite(week, at + 20)
            pm25[device] = level
            week.reading(device, "pm25", float(round(level)), at + 1)
            if local.minute % 15 == 0:
                offset = (index - 1) * 0.6
                at_ = at + 2
                week.reading(device, "temperature", round(temperature + offset, 1), at_)
                week.reading(device, "humidity", float(round(humidity - 2 * index)), at_)
        at += EVERY


def _cooking(hour: float) -> bool:
    return 12.0 <= hour < 12.5 or 18.75 <= hour < 19.25


def _automation_favourite(week: Week, at: float) -> None:
    """The demo's "dirty-air" automation answers PM2.5 above 75."""
    for feature, value in (("power", True), ("mode", "favorite"), ("favorite_level", 12)):
        week.command("Living room purifier", feature, value, at, Origin.AUTOMATION)
        at += 0.3


def _day(week: Week, midnight: float, weekend: bool) -> None:
    rng = week.rng

    def around(hh_mm: float, spread_min: float) -> float:
        return midnight + hh_mm * 3600 + rng.gauss(0, spread_min / 2) * 60

    if not weekend and rng.random() < 0.95:
        week.person("Hall light", "power", True, around(7 + 5 / 60, 5))
        week.person("Hall light", "power", False, around(8 + 10 / 60, 10))
    elif weekend and rng.random() < 0.6:
        week.person("Hall light", "power", True, around(9.5, 40))
        week.person("Hall light", "power", False, around(11, 40))
    if rng.random() < 0.93:
        week.person("Bedroom purifier", "mode", "sleep", around(23, 8))
    if not weekend and rng.random() < 0.9:
        week.person("Bedroom purifier", "mode", "auto", around(7.5, 10))
    if rng.random() < 0.9:  # home in the evening: the door, then the reading lamp
        opened = around(18.5, 50)
        week.reading(DOOR, "contact", False, opened)
        week.reading(DOOR, "contact", True, opened + rng.uniform(8, 30))
        week.person("Reading lamp", "power", True, opened + rng.uniform(25, 110))
        week.person("Reading lamp", "power", False, around(23.25, 25))
    for _ in range(rng.randint(1, 4)):  # one-offs: no pattern to learn
        name = rng.choice(("Kitchen light", "Ceiling light", "Desk lamp"))
        on = midnight + rng.uniform(6, 22) * 3600
        week.person(name, "power", True, on)
        week.person(name, "power", False, on + rng.uniform(300, 5400))
    for _ in range(rng.randint(4, 12)):  # someone walks through the hall
        seen = midnight + rng.uniform(6.5, 23.5) * 3600
        week.reading(MOTION, "occupancy", True, seen)
        week.reading(MOTION, "occupancy", False, seen + 60 + rng.uniform(0, 60))


async def seed_history(path: Path, events: list[Event]) -> float:
    """Write ``events`` (oldest first) into the history database at ``path`` in one
    transaction, through the recorder on a bus of its own (so the rows and 5-minute
    statistics are exactly what it records live); returns the seconds it took."""
    began = time.perf_counter()
    bus = EventBus()
    database = HistoryDatabase(path)
    recorder = HistoryRecorder(
        bus, database, commit_interval=3600, batch_rows=len(events) + 1,
        max_pending=len(events) + 1,
    )  # fmt: skip
    await recorder.start()
    try:
        for event in events:
            bus.publish(event)
    finally:
        await recorder.stop()  # the one commit; the last buckets close at now
    return time.perf_counter() - began


async def until_known(registry: DeviceRegistry, ids: Iterable[str]) -> None:
    """Return once the registry knows every one of ``ids``."""
    wanted = set(ids)
    known = asyncio.Event()

    def check(_: DeviceAdded | None = None) -> None:
        if wanted.issubset(registry.devices):
            known.set()

    unsubscribe = registry.bus.subscribe(DeviceAdded, check)
    try:
        check()
        await known.wait()
    finally:
        unsubscribe()
