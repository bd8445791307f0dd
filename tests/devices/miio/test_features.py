"""Features come from the spec files; values convert both ways; SUPPORTED.md never drifts."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.devices.miio.features import derive_features
from hub.devices.miio.spec import bundled_models, load_spec
from hub.devices.miio.supported import render_supported
from hub.devices.model import FeatureKind
from hub.errors import InvalidValue, NotFound

ROOT = Path(__file__).resolve().parents[3]


def test_purifier_features_use_the_names_people_know() -> None:
    derived = derive_features(load_spec("zhimi.airpurifier.mb3"))
    features = derived.features
    assert features["power"].kind is FeatureKind.SWITCH
    assert features["mode"].choices == ("auto", "sleep", "favorite", "none")
    assert features["pm25"].kind is FeatureKind.SENSOR
    assert features["pm25"].unit == "µg/m³"
    assert (features["favorite_level"].minimum, features["favorite_level"].maximum) == (0, 14)
    assert derived.properties["pm25"].prop.siid == 3
    assert derived.properties["pm25"].prop.piid == 6


def test_choice_values_convert_both_ways() -> None:
    binding = derive_features(load_spec("zhimi.airpurifier.mb3")).properties["mode"]
    assert binding.encode("favorite") == 2
    assert binding.decode(1) == "sleep"
    assert binding.decode(42) is None


def test_a_range_comes_from_the_spec() -> None:
    features = derive_features(load_spec("zhimi.airpurifier.mb3")).features
    with pytest.raises(InvalidValue, match=r"from 0 to 14"):
        features["favorite_level"].validate(20)


def test_events_come_from_the_spec() -> None:
    derived = derive_features(load_spec("zhimi.airpurifier.mb3"))
    assert derived.events[(2, 1)][0] == "fault_event"
    assert derived.features["fault_event"].kind is FeatureKind.EVENT


def test_device_information_is_not_a_feature() -> None:
    for model in bundled_models():
        assert not any(
            b.prop.siid == 1 for b in derive_features(load_spec(model)).properties.values()
        )


def test_unknown_model_lists_the_supported_ones() -> None:
    with pytest.raises(NotFound, match=r"zhimi\.airpurifier\.mb3"):
        load_spec("acme.toaster.v1")


def test_supported_md_is_generated_from_the_specs() -> None:
    committed = (ROOT / "docs" / "SUPPORTED.md").read_text(encoding="utf-8")
    assert committed == render_supported(), (
        "docs/SUPPORTED.md drifted: run `python -m hub.devices.miio.supported > docs/SUPPORTED.md`"
    )


def test_hub_and_firmware_carry_the_same_spec_files() -> None:
    hub_specs = ROOT / "hub" / "devices" / "miio" / "specs"
    sim_specs = ROOT / "firmware_sim" / "models" / "specs"
    for path in hub_specs.glob("*.json"):
        assert path.read_bytes() == (sim_specs / path.name).read_bytes(), path.name
