"""Which behaviour runs which family: an explicit table, not a registry filled by imports.
Every model belongs to one family (its table says which); what differs between models of a
family is table data."""

from __future__ import annotations

from firmware_sim.models.air_purifier import AirPurifier
from firmware_sim.models.behaviour import Behaviour
from firmware_sim.models.camera import Camera
from firmware_sim.models.light import Light

BEHAVIOURS: dict[str, type[Behaviour]] = {
    "air-purifier": AirPurifier,
    "air-fresh": AirPurifier,
    "light": Light,
    "camera": Camera,
}

VENDORS = {
    "zhimi": "Zhimi", "dmaker": "Dmaker", "airdog": "Airdog", "yeelink": "Yeelight",
    "philips": "Philips", "chuangmi": "Chuangmi", "lumi": "Lumi United",
}  # fmt: skip


def behaviour_for(family: str) -> type[Behaviour]:
    try:
        return BEHAVIOURS[family]
    except KeyError:
        known = ", ".join(sorted(BEHAVIOURS))
        raise ValueError(f"no behaviour for the family {family!r}; known: {known}") from None


def manufacturer(model: str) -> str:
    vendor = model.split(".", 1)[0]
    return VENDORS.get(vendor, vendor.capitalize())
