"""Lights (Yeelight, Philips): power, brightness, colour temperature, colour, and the
toggle. Choosing a colour temperature or an RGB colour switches the bulb's colour mode to
match, as Yeelight bulbs do; ranges are the model's, from its table."""

from __future__ import annotations

from typing import Any, ClassVar

from firmware_sim.models.behaviour import Behaviour

MODE_AFTER = {"color_temp": "color_temp", "rgb": "rgb"}


class Light(Behaviour):
    manufacturer: ClassVar[str] = "Yeelight"
    fw_ver: ClassVar[str] = "2.0.6_0065"
    hw_ver: ClassVar[str] = "esp8266"

    def written(self, feature: str | None, value: Any) -> None:
        mode = MODE_AFTER.get(feature or "")
        if mode is not None:
            self.props.set("color_mode", mode)
