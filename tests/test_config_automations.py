"""check-config for scenes and automations: the same models as the API, errors with file,
line and key, duplicate ids with both lines, time zones checked (issues 11.4, 11.5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import parse_config
from hub.errors import ConfigError

CONFIG = Path("config.yaml")


def test_a_misspelt_time_zone_is_an_error_that_suggests_the_right_one() -> None:
    """Issue 11.4: ``Europe/Amsterdamm`` passed, then every time condition answered 500."""
    text = "hub:\n  location:\n    timezone: Europe/Amsterdamm\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, CONFIG)
    message = str(caught.value)
    assert message.startswith("config.yaml:3: hub.location.timezone: ")
    assert "unknown time zone 'Europe/Amsterdamm'" in message
    assert "did you mean 'Europe/Amsterdam'?" in message
    assert parse_config("hub:\n  location:\n    timezone: Europe/Amsterdam\n", CONFIG)


def test_automation_errors_name_the_file_line_and_key() -> None:
    text = """\
automations:
  - id: night
    trigger:
      - platform: mqtt
        topic: a+b
    action:
      - action: repeat
        count: 20000
        sequence:
          - action: stop
"""
    with pytest.raises(ConfigError) as caught:
        parse_config(text, CONFIG)
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("config.yaml:5: automations.0.trigger.0.topic: ")
    assert lines[1].startswith("config.yaml:8: automations.0.action.0.count: ")
    assert "at most 10000" in lines[1]


def test_duplicate_ids_are_an_error_naming_both_lines() -> None:
    """Issue 11.5: the second automation with an id silently replaced the first."""
    text = """\
scenes:
  - id: evening
    name: Evening
    targets: [{device: lamp, feature: power, value: true}]
automations:
  - id: night
    trigger: [{platform: start}]
    action: [{action: stop}]
  - id: night
    trigger: [{platform: start}]
    action: [{action: stop}]
"""
    with pytest.raises(ConfigError) as caught:
        parse_config(text, CONFIG)
    assert str(caught.value) == (
        "config.yaml:9: automations.1.id: 'night' is already the id of automations.0 (line 6)"
    )
