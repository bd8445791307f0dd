"""Each kind of habit on a small made-up history whose answer is known exactly."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from hub.bus import Origin
from hub.habits.miner import mine
from hub.habits.model import HabitEvent, Suggestion
from hub.scenes.model import parse_automation

BERLIN = ZoneInfo("Europe/Berlin")
FIRST = dt.date(2026, 10, 12)  # four weeks from here cross the end of summer time (25 October)
NAMES = {
    "hall": "Hall light",
    "lamp": "Living-room lamp",
    "door": "Front door",
    "purifier": "Purifier",
}


def at(day: int, hours: int, minutes: float) -> float:
    """Epoch seconds of a local wall-clock time (aware datetimes add wall-clock time)."""
    midnight = dt.datetime.combine(FIRST + dt.timedelta(days=day), dt.time(), BERLIN)
    return (midnight + dt.timedelta(hours=hours, minutes=minutes)).timestamp()


def phone(when: float, device: str, feature: str, value: object) -> list[HabitEvent]:
    return [
        HabitEvent(when, device, feature, value, Origin.API, True),  # type: ignore[arg-type]
        HabitEvent(when + 0.5, device, feature, value, Origin.API, False),  # type: ignore[arg-type]
    ]


def mined(rows: list[HabitEvent], days: int = 28) -> list[Suggestion]:
    now = at(days, 0, 0)
    found = mine(rows, names=NAMES, automations=[], now=now, tz=BERLIN)
    for suggestion in found:
        parse_automation(suggestion.automation)
    return found


def test_a_daily_routine_keeps_its_local_time_across_the_change_of_clocks() -> None:
    rows = []
    for day in range(28):
        rows += phone(at(day, 7, 5 + (day * 7 % 9) - 4), "hall", "power", True)
        rows += phone(at(day, 9, 0), "hall", "power", False) if day % 3 == 0 else []
    (routine,) = mined(rows)
    assert routine.kind == "time"
    assert routine.title == "Turn on Hall light around 07:05 every day"
    assert routine.evidence == "28 of the last 28 days, between 07:01 and 07:09"
    assert routine.automation["trigger"] == [{"platform": "time", "at": "07:05:00"}]
    assert "condition" not in routine.automation
    assert routine.automation["action"] == [
        {"action": "set", "device": "hall", "feature": "power", "value": True}
    ]
    assert routine.confidence == 1.0


def test_a_weekday_routine_says_so_and_skipped_days_lower_its_confidence() -> None:
    rows = []
    for day in range(28):
        if (FIRST + dt.timedelta(days=day)).weekday() < 5 and day % 5 != 1:
            rows += phone(at(day, 23, 0 + day % 4), "purifier", "mode", "sleep")
        rows += phone(at(day, 12, 0), "lamp", "power", day % 2 == 0)  # someone is home
        morning = at(day, 7, 0)  # an automation sets it back every morning
        rows += [
            HabitEvent(morning, "purifier", "mode", "auto", Origin.AUTOMATION, True),
            HabitEvent(morning + 1, "purifier", "mode", "auto", Origin.AUTOMATION, False),
        ]
    (routine,) = [s for s in mined(rows) if s.kind == "time" and "Purifier" in s.title]
    assert routine.title == "Set Purifier mode to sleep around 23:00 on weekdays"
    assert routine.evidence.startswith("16 of the last 20 weekdays")
    assert routine.automation["condition"] == [
        {"condition": "time", "weekdays": ["mon", "tue", "wed", "thu", "fri"]}
    ]
    assert routine.confidence == 0.8


def test_a_random_hour_is_no_routine() -> None:
    chance = random.Random(5)
    rows = []
    for day in range(28):
        rows += phone(at(day, 19, chance.uniform(0, 240)), "lamp", "power", False)
        rows += phone(at(day, 12, 0), "lamp", "power", True)
    assert [s.title for s in mined(rows)] == ["Turn on Living-room lamp around 12:00 every day"]


def test_the_lamp_after_the_door_opens_in_the_evening() -> None:
    chance = random.Random(1)
    rows: list[HabitEvent] = []
    for day in range(28):
        morning, evening = at(day, 7, chance.uniform(30, 90)), at(day, 17, chance.uniform(30, 150))
        for opened in (morning, evening):
            rows.append(HabitEvent(opened, "door", "contact", False, Origin.DEVICE, False))
            rows.append(HabitEvent(opened + 40, "door", "contact", True, Origin.DEVICE, False))
        if day % 7 != 3:
            rows += phone(evening + chance.uniform(20, 100), "lamp", "power", True)
        rows += phone(at(day, 23, chance.uniform(0, 50)), "lamp", "power", False)
    (sequence,) = [s for s in mined(rows) if s.kind == "sequence"]
    assert sequence.title.startswith("Turn on Living-room lamp when Front door opens between 17:")
    assert sequence.evidence.startswith("24 of the 28 times Front door opens between")
    assert sequence.automation["trigger"] == [
        {"platform": "state", "device": "door", "feature": "contact", "to": False}
    ]
    (window,) = sequence.automation["condition"]
    assert window["after"] <= "17:30:00" < "20:00:00" <= window["before"]
    assert "07:" not in window["after"]


def test_the_purifier_to_favourite_when_the_air_gets_bad() -> None:
    chance = random.Random(2)
    rows: list[HabitEvent] = []
    for day in range(28):
        spike = chance.uniform(11 * 60, 20 * 60) if day % 4 else None
        for step in range(288):
            minute = step * 5
            value = 15 + chance.uniform(-3, 3)
            if spike is not None and minute >= spike:
                value += min(120.0, (minute - spike) * 6) * (0.97 ** max(0, minute - spike - 20))
            reading = HabitEvent(
                at(day, 0, minute), "purifier", "pm25", round(value), Origin.DEVICE, False
            )
            rows.append(reading)
        rows += phone(at(day, 7, 0), "purifier", "mode", "auto")
    # the person answers each crossing of 75 a few minutes later
    rows.sort(key=lambda r: r.at)
    answers: list[HabitEvent] = []
    above = False
    for row in rows:
        if row.feature == "pm25" and isinstance(row.value, int):
            if not above and row.value > 75:
                answers += phone(row.at + chance.uniform(60, 400), "purifier", "mode", "favorite")
            above = row.value > 75 if not above else row.value > 50
    (response,) = [s for s in mined(rows + answers) if s.kind == "condition"]
    threshold = response.automation["trigger"][0]["above"]
    assert 60 <= threshold <= 80, response.title
    assert (
        response.title
        == f"Set Purifier mode to favorite when Purifier PM2.5 goes above {threshold:g}"
    )
    assert response.automation["trigger"][0]["feature"] == "pm25"
