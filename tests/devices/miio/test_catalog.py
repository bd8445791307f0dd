"""Which table a model gets: its own, else its kind's generic one, as python-miio does."""

from __future__ import annotations

import pytest

from hub.devices.miio.catalog import profile
from hub.errors import NotFound


def test_an_unknown_yeelight_speaks_as_python_miio_assumes_a_generic_bulb() -> None:
    found = profile("yeelink.light.mono9")  # no such table: a bulb newer than the tables
    generic = profile("yeelink.light.generic")
    assert (found.model, found.dialect, found.referee) == (
        "yeelink.light.mono9",
        "legacy",
        "Yeelight",
    )
    assert list(found.new_dialect().features) == list(generic.new_dialect().features)
    assert {"power", "brightness", "color_temp"} <= set(found.new_dialect().features)


def test_a_known_model_keeps_its_own_table() -> None:
    color2 = profile("yeelink.light.color2").new_dialect().features
    assert "rgb" in color2  # the colour bulb's own table, not the generic one (no colour)
    assert "rgb" not in profile("yeelink.light.generic").new_dialect().features


def test_a_kind_without_a_generic_table_is_still_refused() -> None:
    with pytest.raises(NotFound, match=r"'zhimi\.airpurifier\.zz9' is not supported"):
        profile("zhimi.airpurifier.zz9")
