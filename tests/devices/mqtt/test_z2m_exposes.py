"""Zigbee2MQTT exposes -> Features, and values both ways (no broker needed)."""

from __future__ import annotations

import pytest

from firmware_sim.mqtt import MODELS
from hub.devices.model import FeatureCategory, FeatureKind
from hub.devices.mqtt.z2m_exposes import parse_exposes


def test_the_door_sensor_quirk_contact_true_means_closed() -> None:
    values, _ = parse_exposes(MODELS["MCCGQ11LM"].definition()["exposes"], print)
    contact = values["contact"]
    assert contact.feature.kind is FeatureKind.BINARY_SENSOR
    assert contact.decode(True) is False  # z2m: contact true = closed = not "on"
    assert contact.decode(False) is True


def test_the_plug_switch_converts_both_ways() -> None:
    values, _ = parse_exposes(MODELS["ZNCZ02LM"].definition()["exposes"], print)
    state = values["state"]
    assert state.feature.kind is FeatureKind.SWITCH
    assert state.feature.writable
    assert state.decode("ON") is True
    assert state.encode(False) == "OFF"
    assert values["power"].decode(11.3) == 11.3
    assert not values["power"].feature.writable


def test_wrong_types_are_refused() -> None:
    values, _ = parse_exposes(MODELS["WSDCGQ11LM"].definition()["exposes"], print)
    with pytest.raises(ValueError, match="numeric"):
        values["temperature"].decode("21.5")
    with pytest.raises(ValueError, match="numeric"):
        values["temperature"].decode(True)
    assert values["temperature"].decode(None) is None


def test_an_action_is_an_event_with_its_choices() -> None:
    values, _ = parse_exposes(MODELS["WXKG11LM"].definition()["exposes"], print)
    action = values["action"]
    assert action.is_event
    assert action.feature.kind is FeatureKind.EVENT
    assert "hold" in action.feature.choices


def test_writable_enum_is_a_choice_and_junk_is_reported() -> None:
    unknown: list[str] = []
    values, _ = parse_exposes(
        [
            {"type": "enum", "property": "mode", "access": 7, "values": ["eco", "boost", 3]},
            "junk",
            {"type": "numeric"},
        ],
        unknown.append,
    )
    assert values["mode"].feature.kind is FeatureKind.CHOICE
    assert values["mode"].feature.choices == ("eco", "boost", "3")
    assert values["mode"].decode(3) == "3"
    assert len(unknown) == 2
    _, nothing = parse_exposes(None, unknown.append)
    assert nothing == {}
    assert "not a list" in unknown[-1]


def test_a_sensor_shows_its_readings_and_folds_away_its_radio_and_battery() -> None:
    values, _ = parse_exposes(MODELS["WSDCGQ11LM"].definition()["exposes"], print)
    assert values["temperature"].feature.category is FeatureCategory.PRIMARY
    for diagnostic in ("linkquality", "voltage", "battery"):
        if diagnostic in values:
            assert values[diagnostic].feature.category is FeatureCategory.DIAGNOSTIC
    assert "linkquality" in values
    expose = {"type": "binary", "property": "led", "access": 7, "category": "config"}
    led, _ = parse_exposes([expose], print)
    assert led["led"].feature.category is FeatureCategory.CONFIG
