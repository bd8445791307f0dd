"""A device's compact description, retained at ``<base>/<device id>/config``. No I/O.

Home Assistant's discovery configs fold features into entities (power and brightness become
one light) and drop what HA has no key for, so another mihub hub could not rebuild the device
from them. The description is the device as the one Feature model has it: name, model, room,
and each feature's ``as_dict`` (kind, range, choices, unit, category, name), read back with
``Feature.from_dict``::

    {"name": "Lamp", "model": "yeelink.light.color2", "manufacturer": "Yeelight",
     "room": "Hall", "features": [{"id": "power", "kind": "switch", ...}, ...]}
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import orjson

from hub.devices.model import Device, Feature
from hub.devices.mqtt import json_payload


@dataclass(frozen=True, slots=True)
class Description:
    name: str
    model: str
    manufacturer: str
    room: str | None
    features: dict[str, Feature]


def describe(device: Device) -> bytes:
    """The description of ``device``, as published."""
    return orjson.dumps({
        "name": device.name, "model": device.model, "manufacturer": device.manufacturer,
        "room": device.room, "features": _features(tuple(device.features.values())),
    })  # fmt: skip


@functools.lru_cache(maxsize=256)
def _features(features: tuple[Feature, ...]) -> list[dict[str, Any]]:
    return [f.as_dict() for f in features]


def parse(payload: bytes) -> Description:
    """Read a description; raise ValueError naming what is wrong."""
    data = json_payload.loads(payload)
    if not isinstance(data, dict):
        raise ValueError("a device description must be a JSON object")
    name, model = data.get("name"), data.get("model", "")
    features = data.get("features")
    if not isinstance(name, str) or not name or not isinstance(model, str):
        raise ValueError('a device description needs "name" and "model" as text')
    if not isinstance(features, list):
        raise ValueError('"features" of a device description must be a list')
    room, manufacturer = data.get("room"), data.get("manufacturer", "")
    built: dict[str, Feature] = {}
    for number, entry in enumerate(features):
        try:
            feature = _feature(orjson.dumps(entry, option=orjson.OPT_SORT_KEYS))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"features[{number}] is not a feature: {exc!r}") from None
        built[feature.id] = feature
    return Description(
        name, model, str(manufacturer or ""), room if isinstance(room, str) else None, built
    )


@functools.lru_cache(maxsize=1024)
def _feature(key: bytes) -> Feature:
    """One Feature per distinct definition: 200 imported lamps share their features."""
    data = orjson.loads(key)
    if not isinstance(data, dict):
        raise TypeError("not an object")
    return Feature.from_dict(data)
