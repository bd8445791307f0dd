"""Definitions: the YAML format, durations, and errors that name the automation and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.errors import ConfigError, InvalidValue
from hub.scenes.model import (
    ChooseAction,
    InvalidDefinition,
    MqttTrigger,
    StateTrigger,
    parse_automation,
    parse_scene,
)

EXAMPLES = Path(__file__).with_name("examples.yaml")


def test_the_example_file_has_every_kind_and_validates() -> None:
    data = yaml.safe_load(EXAMPLES.read_text())
    automations = [parse_automation(a) for a in data["automations"]]
    scenes = [parse_scene(s) for s in data["scenes"]]
    assert scenes[0].id == "evening"

    def kinds(items: list[Any], tag: str) -> set[str]:
        found: set[str] = set()
        for item in items:
            found.add(getattr(item, tag))
            for nested in ("conditions", "sequence", "default"):
                found |= kinds(getattr(item, nested, None) or [], tag)
            for option in getattr(item, "choices", []):
                found |= kinds(option.sequence, tag)
        return found

    triggers = {t.platform for a in automations for t in a.trigger}
    conditions = kinds([c for a in automations for c in a.condition], "condition")
    actions = kinds([x for a in automations for x in a.action], "action")
    assert triggers == {"state", "event", "availability", "time", "cron", "sun", "mqtt",
                        "webhook", "start"}  # fmt: skip
    assert conditions == {"state", "numeric", "time", "sun", "available", "trigger", "or",
                          "not"}  # fmt: skip
    assert actions == {"set", "call", "scene", "delay", "wait", "publish", "disable",
                       "notify", "choose", "repeat", "stop"}  # fmt: skip
    assert {a.mode for a in automations} == {"single", "restart", "queued", "parallel"}


def test_durations_take_seconds_clock_text_or_units() -> None:
    data = yaml.safe_load(EXAMPLES.read_text())["automations"]
    hall = parse_automation(data[0])
    warm = parse_automation(data[1])
    assert hall.action[1].seconds == 300  # type: ignore[union-attr]
    assert isinstance(warm.trigger[0], StateTrigger)
    assert warm.trigger[0].for_ == 600
    assert hall.condition[0].after_offset == -1800  # type: ignore[union-attr]


def test_yaml_scalars_keep_their_types() -> None:
    mqtt = parse_automation(yaml.safe_load(EXAMPLES.read_text())["automations"][3])
    trigger = mqtt.trigger[0]
    assert isinstance(trigger, MqttTrigger)
    assert trigger.payload == "probe"
    assert mqtt.condition[0].state == 1  # type: ignore[union-attr]


def bad(**changes: Any) -> dict[str, Any]:
    automation = {"id": "night", "alias": "Night light", "trigger": [{"platform": "start"}],
                  "action": [{"action": "stop"}]}  # fmt: skip
    automation.update(changes)
    return automation


@pytest.mark.parametrize(
    ("automation", "field"),
    [
        (bad(action=[{"action": "set", "device": "x", "feature": "y"}]), r"action\.0\.value"),
        (bad(trigger=[{"platform": "cron", "cron": "* * *"}]), r"trigger\.0\.cron"),
        (bad(trigger=[{"platform": "telepathy"}]), r"trigger\.0"),
        (bad(trigger=[{"platform": "state", "device": "d", "feature": "f", "for": "soon"}]),
         r"trigger\.0\.for"),
        (bad(condition=[{"condition": "or", "conditions": [{"condition": "time",
                                                            "after": "25:00"}]}]),
         r"condition\.0\.conditions\.0\.after"),
        (bad(action=[{"action": "choose", "choices": [{"conditions": [], "sequence": [
            {"action": "delay", "seconds": -1}]}]}]), r"action\.0\.choices\.0\.sequence\.0\.seconds"),
        (bad(mode="sometimes"), r"mode"),
        (bad(id="has space"), r"id: String should match"),
        (bad(trigger=[]), r"trigger"),
        (bad(extra=1), r"extra"),
    ],
)  # fmt: skip
def test_errors_name_the_automation_and_the_field(automation: dict[str, Any], field: str) -> None:
    name = r"'Night light' \(has space\)" if field.startswith("id") else r"'Night light' \(night\)"
    with pytest.raises(InvalidDefinition, match=rf"automations\[3\] {name}: {field}"):
        parse_automation(automation, "automations[3]")


def test_an_invalid_definition_is_a_config_error_and_an_invalid_value() -> None:
    with pytest.raises(InvalidDefinition) as caught:
        parse_automation({"id": "x", "trigger": [{"platform": "start"}], "action": [
            {"action": "set", "device": "d", "feature": "f"},
            {"action": "publish"}]})  # fmt: skip
    assert isinstance(caught.value, ConfigError)
    assert isinstance(caught.value, InvalidValue)
    fields = [p["field"] for p in caught.value.problems]
    assert fields == ["action.0.value", "action.1.topic"]
    assert str(caught.value).startswith("automation 'x': action.0.value: Field required")


def test_nested_definitions_parse_to_their_models() -> None:
    automation = parse_automation(bad(action=[{"action": "choose", "choices": [
        {"conditions": [{"condition": "and", "conditions": [
            {"condition": "available", "device": "d"}]}],
         "sequence": [{"action": "repeat", "while": [{"condition": "available", "device": "d"}],
                       "sequence": [{"action": "stop"}]}]}]}]))  # fmt: skip
    choose = automation.action[0]
    assert isinstance(choose, ChooseAction)
    assert choose.choices[0].sequence[0].action == "repeat"
