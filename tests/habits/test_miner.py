"""Habit mining against seeded simulated households whose routines are known."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from functools import cache

import pytest

from hub.bus import Origin
from hub.habits.miner import mine
from hub.habits.model import Suggestion
from hub.scenes.model import parse_automation
from tests.habits.scoring import NAMES, TZ, Run, matches, precision_recall, run

SEEDS = (1, 2, 3, 4, 5)


@cache
def mined(seed: int) -> Run:
    return run(seed)


def again(result: Run, **changes: object) -> list[Suggestion]:
    options: dict[str, object] = {"names": NAMES, "automations": [], "now": result.now, "tz": TZ}
    options.update(changes)
    rows = options.pop("rows", result.rows)
    return mine(rows, **options)  # type: ignore[arg-type]


def test_planted_routines_are_found_and_little_else() -> None:
    right = suggested = found = planted = 0
    for seed in SEEDS:
        result = mined(seed)
        _, recall = precision_recall(result)
        assert recall >= 0.8, (seed, [s.title for s in result.suggestions])
        right += sum(
            any(matches(s, r) for r in result.household.routines) for s in result.suggestions
        )
        suggested += len(result.suggestions)
        found += sum(
            any(matches(s, r) for s in result.suggestions) for r in result.household.routines
        )
        planted += len(result.household.routines)
    assert right / suggested >= 0.9
    assert found / planted >= 0.8


@pytest.mark.parametrize("seed", SEEDS)
def test_nothing_an_automation_did_is_suggested(seed: int) -> None:
    result = mined(seed)
    suggestions = again(result)  # no automations handed in: only origins tell
    done = {(a.device_id, a.feature, repr(a.value)) for a in result.household.automations}
    for suggestion in suggestions:
        action = suggestion.automation["action"][0]
        assert (action["device"], action["feature"], repr(action["value"])) not in done, suggestion


def test_a_routine_done_by_automations_or_scenes_is_no_habit() -> None:
    result = mined(1)
    hall = [s for s in result.suggestions if s.automation["action"][0]["device"] == "hall-light"]
    assert hall, "the planted hall light routine is found"
    for origin in (Origin.AUTOMATION, Origin.SCENE):
        rows = [
            dataclasses.replace(r, origin=origin) if r.device_id == "hall-light" else r
            for r in result.rows
        ]
        titles = [s.title for s in again(result, rows=rows)]
        assert not [t for t in titles if "Hall light" in t], (origin, titles)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_suggestion_is_a_valid_automation(seed: int) -> None:
    for suggestion in mined(seed).suggestions:
        automation = parse_automation(suggestion.automation)
        assert automation.id == f"habit-{suggestion.id}"
        assert suggestion.kind in ("time", "sequence", "condition")
        assert suggestion.title
        assert suggestion.evidence
        assert 0 < suggestion.confidence <= 1


def test_an_existing_automation_suppresses_its_suggestion() -> None:
    result = mined(1)
    kinds = {s.kind for s in result.suggestions}
    assert kinds == {"time", "sequence", "condition"}
    for suggestion in result.suggestions:
        accepted = {**suggestion.automation, "source": "api", "running": 0, "last_trace": None}
        left = again(result, automations=[accepted])
        assert suggestion.id not in {s.id for s in left}
        assert {s.id for s in left} == {s.id for s in result.suggestions} - {suggestion.id}


def test_an_automation_at_another_time_or_on_another_trigger_does_not_suppress() -> None:
    result = mined(1)
    routine = next(s for s in result.suggestions if s.kind == "time")
    elsewhere = {**routine.automation, "trigger": [{"platform": "time", "at": "03:00:00"}]}
    assert routine.id in {s.id for s in again(result, automations=[elsewhere])}


@pytest.mark.parametrize("seed", SEEDS)
def test_ids_are_stable_as_history_grows(seed: int) -> None:
    """Mined again hours or a day later (counts, times and confidence drift), a planted
    routine's suggestion keeps its id: a dismissal sticks."""
    result = mined(seed)
    ids: dict[int, set[str]] = {n: set() for n in range(len(result.household.routines))}
    for hours in (-24, -6, 0, 1, 13, 30):
        for suggestion in again(result, now=result.now + hours * 3600):
            for number, routine in enumerate(result.household.routines):
                if matches(suggestion, routine):
                    ids[number].add(suggestion.id)
    assert all(len(found) == 1 for found in ids.values() if found), ids
    assert sum(1 for found in ids.values() if found) >= 5


def test_mining_is_deterministic() -> None:
    result = mined(3)
    assert again(result, automations=[]) == again(result, automations=[])
    shuffled = list(reversed(result.rows))
    assert again(result, rows=shuffled) == again(result)


def test_words_say_what_when_and_why() -> None:
    for suggestion in mined(1).suggestions:
        if suggestion.kind == "time":
            assert re.fullmatch(
                r"(Turn (on|off) .+|Set .+ to .+) around \d\d:\d\d (on weekdays|at weekends|every day)",
                suggestion.title,
            ), suggestion.title
            assert re.fullmatch(
                r"\d+ of the last \d+ (weekdays|weekend days|days), between \d\d:\d\d and \d\d:\d\d",
                suggestion.evidence,
            ), suggestion.evidence
        elif suggestion.kind == "sequence":
            assert suggestion.title.startswith("Turn on Living-room lamp when Front door opens")
            assert "within" in suggestion.evidence
        else:
            assert "Purifier PM2.5 goes above" in suggestion.title


def test_only_the_window_is_mined() -> None:
    result = mined(1)
    two_months_on = result.now + 60 * 86400
    assert again(result, now=two_months_on) == []
    assert again(result, window_days=3) == []


def test_an_empty_history_suggests_nothing() -> None:
    assert mine([], names={}, automations=[], now=dt.datetime.now(TZ).timestamp(), tz=TZ) == []
