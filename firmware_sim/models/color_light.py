"""Yeelight colour bulb (``yeelink.light.color2``): power, brightness, colour temperature,
RGB colour, and the toggle action. Choosing a colour temperature or an RGB colour switches the
bulb's mode to match, as the real bulb does."""

from __future__ import annotations

from typing import Any, ClassVar

from firmware_sim.models.behaviour import Behaviour

POWER = (2, 1)
MODE = (2, 2)
BRIGHTNESS = (2, 3)
COLOR_TEMPERATURE = (2, 4)
COLOR = (2, 5)
TOGGLE = (2, 1)

CT_MODE, COLOR_MODE, FLOW_MODE = 0, 1, 2


class ColorLight(Behaviour):
    manufacturer: ClassVar[str] = "Yeelight"
    fw_ver: ClassVar[str] = "2.0.6_0065"
    hw_ver: ClassVar[str] = "esp8266"
    power: ClassVar[tuple[int, int] | None] = POWER
    initial: ClassVar[dict[tuple[int, int], Any]] = {
        POWER: False, MODE: CT_MODE, BRIGHTNESS: 80, COLOR_TEMPERATURE: 4000, COLOR: 0xFF9900,
    }  # fmt: skip

    def written(self, siid: int, piid: int, value: Any) -> None:
        if (siid, piid) == COLOR_TEMPERATURE:
            self.state.set(*MODE, CT_MODE)
        elif (siid, piid) == COLOR:
            self.state.set(*MODE, COLOR_MODE)

    def action(self, siid: int, aiid: int, args: list[Any]) -> list[Any] | None:
        if (siid, aiid) == TOGGLE:
            self.press_power_button()
            return []
        return None
