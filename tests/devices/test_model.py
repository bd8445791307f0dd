"""The normalized Feature refuses bad values before anything is sent, and says why."""

from __future__ import annotations

import pytest

from hub.devices.model import Device, Feature, FeatureKind, Protocol
from hub.errors import InvalidValue

BRIGHTNESS = Feature(
    "brightness", FeatureKind.NUMBER, unit="%", minimum=1, maximum=100, step=1, writable=True
)
MODE = Feature("mode", FeatureKind.CHOICE, choices=("auto", "sleep", "favorite"), writable=True)
POWER = Feature("power", FeatureKind.SWITCH, writable=True)
PM25 = Feature("pm25", FeatureKind.SENSOR, unit="µg/m³")


def test_number_in_range_is_accepted_and_normalized() -> None:
    assert BRIGHTNESS.validate(50) == 50
    assert BRIGHTNESS.validate(50.0) == 50
    assert isinstance(BRIGHTNESS.validate(50.0), int)


@pytest.mark.parametrize("value", [0, 101, -5, float("nan"), "50", True, None])
def test_number_out_of_range_or_wrong_type_names_the_feature_and_range(value: object) -> None:
    with pytest.raises(InvalidValue, match=r"brightness.*from 1 to 100 %"):
        BRIGHTNESS.validate(value)


def test_fractional_value_for_whole_number_feature_is_refused() -> None:
    with pytest.raises(InvalidValue, match="whole numbers"):
        BRIGHTNESS.validate(50.5)


def test_choice_error_lists_the_allowed_values() -> None:
    assert MODE.validate("sleep") == "sleep"
    with pytest.raises(InvalidValue, match=r"auto, sleep, favorite; got .turbo."):
        MODE.validate("turbo")


def test_switch_takes_only_booleans() -> None:
    assert POWER.validate(False) is False
    with pytest.raises(InvalidValue, match="true or false"):
        POWER.validate(1)


def test_read_only_feature_cannot_be_set() -> None:
    with pytest.raises(InvalidValue, match=r"pm25.*read-only"):
        PM25.validate(3)


def test_feature_round_trips_through_its_dict() -> None:
    for feature in (BRIGHTNESS, MODE, POWER, PM25):
        restored = Feature.from_dict(feature.as_dict())
        assert restored.as_dict() == feature.as_dict()


def test_unknown_feature_lists_what_the_device_has() -> None:
    device = Device("d1", "Lamp", "m", Protocol.MIIO, features={"power": POWER})
    with pytest.raises(InvalidValue, match="has no feature 'colour'; it has: power"):
        device.feature("colour")
