"""The simulated household: seeded, in time order, its people, sensors and automations apart."""

from __future__ import annotations

import ast
import datetime as dt
from collections import Counter
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

from firmware_sim import household as household_module
from firmware_sim.household import HouseDevices, Household

TZ = ZoneInfo("Europe/Berlin")
START = dt.date(2026, 10, 5)


def test_the_same_seed_plays_the_same_weeks_and_another_seed_others() -> None:
    first = list(Household(7, tz=TZ).events(START, 14))
    assert first == list(Household(7, tz=TZ).events(START, 14))
    assert first != list(Household(8, tz=TZ).events(START, 14))
    assert Household(7).routines == Household(7).routines


def test_events_are_in_time_order_within_the_days_played() -> None:
    events = list(Household(3, tz=TZ).events(START, 21))
    assert all(a.at <= b.at for a, b in pairwise(events))
    first = dt.datetime.combine(START, dt.time(), TZ).timestamp()
    assert first <= events[0].at
    assert events[-1].at < first + 22 * 86400  # the last evening's late lamp may pass midnight


def test_only_the_given_devices_appear_and_others_add_noise_and_readings() -> None:
    devices = HouseDevices(others=tuple(f"extra-{n}" for n in range(6)))
    events = list(Household(1, devices, TZ).events(START, 14))
    named = {
        getattr(devices, f)
        for f in (
            "hall_light",
            "living_lamp",
            "bedroom_light",
            "purifier",
            "front_door",
            "porch_light",
            "coffee_plug",
        )
    }
    assert {e.device_id for e in events} <= named | set(devices.others)
    assert any(e.device_id == "extra-2" and e.feature == "temperature" for e in events)
    assert any(e.device_id in ("extra-0", "extra-1") and e.who == "person" for e in events)


def test_people_sensors_and_automations_are_told_apart() -> None:
    household = Household(2, tz=TZ)
    events = list(household.events(START, 14))
    whos = Counter((e.who, e.command) for e in events)
    assert whos[("person", True)]  # the phone
    assert whos[("person", False)]  # and buttons
    assert whos[("automation", True)]
    assert not whos[("device", True)]
    planned = {(a.device_id, a.feature) for a in household.automations}
    automated = {(e.device_id, e.feature) for e in events if e.who == "automation"}
    assert automated == planned
    sensors = {(e.device_id, e.feature) for e in events if e.who == "device"}
    assert sensors == {("purifier", "pm25"), ("front-door", "contact")}


def test_the_planted_routines_happen_on_most_of_their_days() -> None:
    household = Household(4, tz=TZ)
    events = list(household.events(START, 28))
    for routine in household.routines:
        if routine.kind != "time" or routine.minute is None:
            continue
        days = set()
        for e in events:
            moment = dt.datetime.fromtimestamp(e.at, TZ)
            minute = moment.hour * 60 + moment.minute
            if (e.who, e.device_id, e.feature, e.value) == (
                "person",
                routine.device_id,
                routine.feature,
                routine.value,
            ) and abs(minute - routine.minute) <= 20:
                days.add(moment.date())
        assert len(days) >= 4, routine


def test_firmware_sim_does_not_import_the_hub() -> None:
    tree = ast.parse(Path(household_module.__file__).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
            )
            assert not any(n == "hub" or n.startswith("hub.") for n in names)
