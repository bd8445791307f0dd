"""Conditions, checked against the registry and an injected clock; each records what it saw."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hub.bus import EventBus
from hub.scenes.conditions import ConditionChecker
from hub.scenes.model import Condition, parse_automation
from hub.scenes.schedule import Location
from tests.scenes.home import build_home

AMSTERDAM = Location(52.37, 4.89, "Europe/Amsterdam")


def condition(data: dict[str, Any]) -> Condition:
    automation = parse_automation({"id": "c", "trigger": [{"platform": "start"}],
                                   "condition": [data], "action": [{"action": "stop"}]})  # fmt: skip
    return automation.condition[0]


def check(data: dict[str, Any], when: dt.datetime, location: Location = AMSTERDAM) -> bool:
    registry, _ = build_home(EventBus())
    try:
        return ConditionChecker(registry, location, lambda: when).check(condition(data), [])
    finally:
        registry.close()


def at(hour: int, minute: int = 0, day: int = 21, month: int = 6) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=AMSTERDAM.zone)


@pytest.mark.parametrize(
    ("hour", "inside"), [(23, True), (3, True), (12, False), (6, False), (22, True)]
)
def test_a_time_window_across_midnight(hour: int, inside: bool) -> None:
    assert check({"condition": "time", "after": "22:00", "before": "06:00"}, at(hour)) is inside


def test_weekdays() -> None:
    sunday = at(12)  # 21 June 2026
    assert check({"condition": "time", "weekdays": ["sun"]}, sunday)
    assert not check({"condition": "time", "weekdays": ["mon", "tue"]}, sunday)


@pytest.mark.parametrize(
    ("data", "when", "holds"),
    [
        ({"after": "sunrise"}, at(12), True),
        ({"after": "sunrise"}, at(4), False),  # sunrise ~05:18 at midsummer
        ({"before": "sunset"}, at(21), True),  # sunset ~22:06
        ({"before": "sunset", "before_offset": -7200}, at(21), False),
        ({"after": "sunset", "before": "sunrise"}, at(23), True),  # the night
        ({"after": "sunset", "before": "sunrise"}, at(3), True),
        ({"after": "sunset", "before": "sunrise"}, at(12), False),
        ({"after": "sunrise", "before": "sunset"}, at(12), True),  # the day
        ({"after": "sunrise", "after_offset": "01:00:00"}, at(6), False),
    ],
)
def test_sun(data: dict[str, Any], when: dt.datetime, holds: bool) -> None:
    assert check({"condition": "sun", **data}, when) is holds


def test_no_sunset_in_the_polar_day_is_false_not_a_crash() -> None:
    svalbard = Location(78.2, 15.6, "Arctic/Longyearbyen")
    summer = dt.datetime(2026, 6, 21, 12, tzinfo=svalbard.zone)
    assert not check({"condition": "sun", "after": "sunset"}, summer, svalbard)


def test_device_conditions_record_what_they_saw() -> None:
    registry, _ = build_home(EventBus())
    checker = ConditionChecker(registry, AMSTERDAM, lambda: at(12))
    trace: list[dict[str, Any]] = []
    both = condition({"condition": "and", "conditions": [
        {"condition": "numeric", "device": "thermo", "feature": "temperature", "above": 18,
         "below": 25},
        {"condition": "state", "device": "lamp", "feature": "power", "state": [True, 0]}]})  # fmt: skip
    assert checker.check(both, trace) is False
    assert trace[0]["result"] is False
    numeric, power = trace[0]["conditions"]
    assert (numeric["saw"], numeric["result"]) == (20.0, True)
    assert (power["saw"], power["result"]) == (False, False)  # false is not 0
    unknown = condition({"condition": "numeric", "device": "ghost", "feature": "x", "above": 1})
    assert checker.check(unknown, trace) is False
    assert trace[-1]["saw"] is None
    available = condition({"condition": "available", "device": "lamp"})
    assert checker.check(available, trace) is False  # never reported online
    registry.set_availability("lamp", True)
    assert checker.check(available, trace) is True
    registry.close()


@pytest.mark.parametrize(
    ("data", "passes"),
    [
        ({"path": "payload_json.value", "state": 1}, True),
        ({"path": "payload_json.value", "state": [2, 3]}, False),
        ({"path": "payload_json.value", "state": True}, False),  # 1 is not true
        ({"path": "payload_json.value", "above": 0, "below": 2}, True),
        ({"path": "payload_json.value", "below": 1}, False),
        ({"path": "payload_json.missing"}, False),
        ({"path": "topic"}, True),
        ({"path": "topic", "above": 1}, False),
    ],
)
def test_trigger_conditions_look_into_the_trigger_data(data: dict[str, Any], passes: bool) -> None:
    registry, _ = build_home(EventBus())
    checker = ConditionChecker(registry, AMSTERDAM, lambda: at(12))
    trigger = {"platform": "mqtt", "topic": "t", "payload_json": {"value": 1}}
    trace: list[dict[str, Any]] = []
    assert checker.all([condition({"condition": "trigger", **data})], trace, trigger) is passes
    assert trace[0]["path"] == data["path"]
    registry.close()
