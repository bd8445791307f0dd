"""Which behaviour runs which model: an explicit table, not a registry filled by imports."""

from __future__ import annotations

from firmware_sim.models.air_purifier import AirPurifier
from firmware_sim.models.behaviour import Behaviour
from firmware_sim.models.camera import Camera
from firmware_sim.models.color_light import ColorLight

BEHAVIOURS: dict[str, type[Behaviour]] = {
    "zhimi.airpurifier.mb3": AirPurifier,
    "yeelink.light.color2": ColorLight,
    "chuangmi.camera.ipc019": Camera,
}


def behaviour_for(model: str) -> type[Behaviour]:
    try:
        return BEHAVIOURS[model]
    except KeyError:
        known = ", ".join(sorted(BEHAVIOURS))
        raise ValueError(f"no simulated firmware for {model!r}; known: {known}") from None
