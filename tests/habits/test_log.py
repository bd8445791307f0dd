"""Which rows of history are a person's actions, signals and series."""

from __future__ import annotations

import pytest

from hub.bus import Origin
from hub.habits import log as habit_log
from hub.habits.log import Change, sort_history
from hub.habits.model import HabitEvent

API, DEVICE, AUTOMATION = Origin.API, Origin.DEVICE, Origin.AUTOMATION


def row(
    at: float, device: str, feature: str, value: object, origin: Origin, command: bool = False
) -> HabitEvent:
    return HabitEvent(at, device, feature, value, origin, command)  # type: ignore[arg-type]


def test_a_phone_command_and_the_change_it_causes_are_one_action() -> None:
    log = sort_history(
        [
            row(100, "lamp", "power", True, API, command=True),
            row(100.5, "lamp", "power", True, API),
            row(101, "lamp", "power", True, DEVICE),  # the device's own report of the same
        ],
        now=1000,
        window_days=1,
    )
    assert log.actions == {Change.of("lamp", "power", True): [100]}


def test_a_press_on_the_device_is_an_action_once_the_feature_is_ever_commanded() -> None:
    rows = [
        row(10, "lamp", "power", True, AUTOMATION, command=True),
        row(10.2, "lamp", "power", True, AUTOMATION),
        row(500, "lamp", "power", False, DEVICE),  # someone pressed its button
        row(520, "lamp", "power", True, DEVICE),
        row(540, "lamp", "power", True, DEVICE),  # within a minute: the same press
    ]
    log = sort_history(rows, now=1000, window_days=1)
    assert log.actions == {
        Change.of("lamp", "power", False): [500],
        Change.of("lamp", "power", True): [520],
    }


def test_automations_scenes_and_unknown_senders_are_not_people() -> None:
    rows = [
        row(at, "lamp", "power", True, origin, command=True)
        for at, origin in ((10, Origin.AUTOMATION), (200, Origin.SCENE), (400, Origin.UNKNOWN))
    ] + [row(600, "lamp", "power", True, Origin.MQTT, command=True)]
    assert sort_history(rows, now=1000, window_days=1).actions == {
        Change.of("lamp", "power", True): [600]
    }


def test_features_never_commanded_are_signals_and_series() -> None:
    rows = [
        row(10, "door", "contact", False, DEVICE),
        row(20, "door", "contact", True, DEVICE),
        row(30, "air", "pm25", 12, DEVICE),
        row(40, "air", "pm25", 80.5, DEVICE),
    ]
    log = sort_history(rows, now=1000, window_days=1)
    assert log.actions == {}
    assert log.signals == {
        Change.of("door", "contact", False): [10],
        Change.of("door", "contact", True): [20],
    }
    assert log.series[("air", "pm25")].values == [12.0, 80.5]
    assert log.series[("air", "pm25")].at(35) == 12.0


def test_true_is_not_one() -> None:
    assert Change.of("x", "level", True) != Change.of("x", "level", 1)
    assert Change.of("x", "level", 1).value == 1


def test_only_the_latest_rows_up_to_the_cap_are_looked_at(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(habit_log, "MAX_EVENTS", 10)
    rows = [row(at, "lamp", "power", at % 2 == 0, API, command=True) for at in range(0, 2000, 100)]
    log = sort_history(rows, now=5000, window_days=1)
    assert sum(len(times) for times in log.actions.values()) == 10
    assert log.start == 1000


def test_state_is_known_for_commanded_features() -> None:
    rows = [row(10, "lamp", "power", True, API, command=True), row(11, "lamp", "power", True, API)]
    log = sort_history(rows, now=1000, window_days=1)
    assert log.holds(Change.of("lamp", "power", True), 500)
    assert log.held_since(Change.of("lamp", "power", True), 500) == 11
    assert not log.holds(Change.of("lamp", "power", False), 500)


def test_a_value_no_automation_could_set_is_no_action() -> None:
    rows = [
        row(10, "lamp", "power", None, API, command=True),
        row(20, "lamp", "level", float("nan"), API, command=True),
    ]
    assert sort_history(rows, now=1000, window_days=1).actions == {}
