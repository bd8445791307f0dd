"""The firmware's own reading of a MIoT spec: what it accepts and refuses, and why.

The firmware does not share code with the hub: it reads the same kind of spec file, as a real
device's firmware is built from its model's spec.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

# MIoT error codes, as real devices send them.
NOT_FOUND = -4001
NOT_READABLE = -4002
NOT_WRITABLE = -4003
INVALID_VALUE = -4005
ACTION_NOT_FOUND = -4001

INTEGER_FORMATS = {
    "uint8": (0, 255),
    "uint16": (0, 65535),
    "uint32": (0, 4294967295),
    "int8": (-128, 127),
    "int16": (-32768, 32767),
    "int32": (-2147483648, 2147483647),
}


@dataclass(frozen=True, slots=True)
class PropSpec:
    siid: int
    piid: int
    name: str
    format: str
    access: frozenset[str]
    value_range: tuple[float, float, float] | None
    values: frozenset[int]

    def check(self, value: Any) -> int:
        """0 when ``value`` fits this property, else the MIoT error code."""
        if "write" not in self.access:
            return NOT_WRITABLE
        fmt = self.format
        if fmt == "bool":
            return 0 if isinstance(value, bool) else INVALID_VALUE
        if fmt == "string":
            return 0 if isinstance(value, str) else INVALID_VALUE
        if isinstance(value, bool) or not isinstance(value, int | float):
            return INVALID_VALUE
        if fmt in INTEGER_FORMATS:
            low, high = INTEGER_FORMATS[fmt]
            if not float(value).is_integer() or not low <= value <= high:
                return INVALID_VALUE
        if self.values:
            return 0 if value in self.values else INVALID_VALUE
        if self.value_range is not None:
            low_r, high_r, step = self.value_range
            if not low_r <= value <= high_r:
                return INVALID_VALUE
            if step >= 1 and (value - low_r) % step:
                return INVALID_VALUE
        return 0


@dataclass(frozen=True, slots=True)
class ModelSpec:
    model: str
    device_type: str
    props: dict[tuple[int, int], PropSpec]
    actions: dict[tuple[int, int], str]
    events: dict[tuple[int, int], str]

    def by_name(self, service: str, name: str) -> PropSpec:
        return self.props[self._names[(service, name)]]

    @property
    def _names(self) -> dict[tuple[str, str], tuple[int, int]]:
        return _NAMES[self.model]


_NAMES: dict[str, dict[tuple[str, str], tuple[int, int]]] = {}


def _name(urn: str) -> str:
    parts = urn.split(":")
    return parts[3] if len(parts) > 3 else urn


@cache
def load_model_spec(model: str) -> ModelSpec:
    text = resources.files("firmware_sim.models").joinpath("specs", f"{model}.json").read_text()
    data = json.loads(text)
    props: dict[tuple[int, int], PropSpec] = {}
    names: dict[tuple[str, str], tuple[int, int]] = {}
    actions: dict[tuple[int, int], str] = {}
    events: dict[tuple[int, int], str] = {}
    for service in data["services"]:
        siid = int(service["iid"])
        sname = _name(service["type"])
        for p in service.get("properties", []):
            rng = p.get("value-range")
            spec = PropSpec(
                siid,
                int(p["iid"]),
                _name(p["type"]),
                p["format"],
                frozenset(p.get("access", [])),
                (float(rng[0]), float(rng[1]), float(rng[2])) if rng else None,
                frozenset(int(v["value"]) for v in p.get("value-list", [])),
            )
            props[(siid, spec.piid)] = spec
            names[(sname, spec.name)] = (siid, spec.piid)
        for a in service.get("actions", []):
            actions[(siid, int(a["iid"]))] = _name(a["type"])
        for e in service.get("events", []):
            events[(siid, int(e["iid"]))] = _name(e["type"])
    _NAMES[model] = names
    return ModelSpec(model, _name(data["type"]), props, actions, events)


def bundled_models() -> list[str]:
    folder = resources.files("firmware_sim.models").joinpath("specs")
    return sorted(
        f.name.removesuffix(".json") for f in folder.iterdir() if f.name.endswith(".json")
    )
