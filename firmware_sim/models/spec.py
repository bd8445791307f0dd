"""The firmware's own reading of a MIoT spec: what it accepts and refuses, and why.

The firmware does not share code with the hub: it reads the same kind of spec file (a MIoT
spec instance), as a real device's firmware is built from its model's spec.

Per-item result codes are those of Xiaomi's MIoT device SDK (``operation_code.h``):
-4001 not readable, -4002 not writable, -4003 property/action/event does not exist,
-4004 internal error, -4005 bad value, -4006 bad action arguments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Final

OK: Final = 0
NOT_READABLE: Final = -4001
NOT_WRITABLE: Final = -4002
NOT_FOUND: Final = -4003
INTERNAL_ERROR: Final = -4004
INVALID_VALUE: Final = -4005
INVALID_ARGUMENTS: Final = -4006

INTEGER_FORMATS: Final = {
    "uint8": (0, 255),
    "uint16": (0, 65535),
    "uint32": (0, 4294967295),
    "int8": (-128, 127),
    "int16": (-32768, 32767),
    "int32": (-2147483648, 2147483647),
    "int64": (-(2**63), 2**63 - 1),
}


@dataclass(frozen=True, slots=True)
class PropSpec:
    siid: int
    piid: int
    name: str
    format: str
    access: frozenset[str]
    value_range: tuple[float, float, float] | None = None
    values: frozenset[int] = frozenset()
    service: str = ""
    """The name of its service ("air-purifier", "environment"...)."""
    value_names: tuple[tuple[int, str], ...] = ()
    """Its value list as (value, snake_case description)."""

    @property
    def readable(self) -> bool:
        return "read" in self.access

    @property
    def notifies(self) -> bool:
        return "notify" in self.access

    def check(self, value: Any) -> int:
        """0 when ``value`` may be written to this property, else the MIoT error code."""
        if "write" not in self.access:
            return NOT_WRITABLE
        return self.check_value(value)

    def check_value(self, value: Any) -> int:
        """0 when ``value`` fits this property's type, range, step and value list."""
        fmt = self.format
        if fmt == "bool":
            return OK if isinstance(value, bool) else INVALID_VALUE
        if fmt == "string":
            return OK if isinstance(value, str) else INVALID_VALUE
        if isinstance(value, bool) or not isinstance(value, int | float):
            return INVALID_VALUE
        if fmt in INTEGER_FORMATS:
            low, high = INTEGER_FORMATS[fmt]
            if not float(value).is_integer() or not low <= value <= high:
                return INVALID_VALUE
        if self.values:
            return OK if value in self.values else INVALID_VALUE
        if self.value_range is not None:
            low_r, high_r, step = self.value_range
            if not low_r <= value <= high_r:
                return INVALID_VALUE
            if step >= 1 and float(step).is_integer() and (value - low_r) % step:
                return INVALID_VALUE
        return OK

    def coerce(self, value: Any) -> Any:
        """The value as the firmware stores it (3.0 for a uint8 becomes 3)."""
        if self.format in INTEGER_FORMATS:
            return int(value)
        if self.format == "float":
            return float(value)
        return value


@dataclass(frozen=True, slots=True)
class ActionSpec:
    siid: int
    aiid: int
    name: str
    inputs: tuple[int, ...] = ()
    outputs: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class EventSpec:
    siid: int
    eiid: int
    name: str
    arguments: tuple[int, ...] = ()
    service: str = ""


@dataclass(frozen=True, slots=True)
class ModelSpec:
    model: str
    device_type: str
    props: dict[tuple[int, int], PropSpec] = field(default_factory=dict)
    actions: dict[tuple[int, int], ActionSpec] = field(default_factory=dict)
    events: dict[tuple[int, int], EventSpec] = field(default_factory=dict)

    def notifies(self, key: Any) -> bool:
        """Whether a change of property ``key`` (siid, piid) is pushed to subscribers."""
        prop = self.props.get(key)
        return prop is not None and prop.notifies


def _name(urn: str) -> str:
    parts = urn.split(":")
    return parts[3] if len(parts) > 3 else urn


def parse_spec(model: str, data: dict[str, Any]) -> ModelSpec:
    """A spec instance document (``services[...]``) -> what the firmware checks against."""
    spec = ModelSpec(model, _name(data.get("type", model)))
    for service in data["services"]:
        siid = int(service["iid"])
        service_name = _name(service["type"])
        for p in service.get("properties", []):
            rng = p.get("value-range")
            prop = PropSpec(
                siid,
                int(p["iid"]),
                _name(p["type"]),
                p["format"],
                frozenset(p.get("access", [])),
                (float(rng[0]), float(rng[1]), float(rng[2])) if rng else None,
                frozenset(int(v["value"]) for v in p.get("value-list", [])),
                service_name,
                tuple(
                    (int(v["value"]), str(v["description"]).lower().replace(" ", "_"))
                    for v in p.get("value-list", [])
                ),
            )
            spec.props[(siid, prop.piid)] = prop
        for a in service.get("actions", []):
            action = ActionSpec(
                siid,
                int(a["iid"]),
                _name(a["type"]),
                tuple(int(i) for i in a.get("in", [])),
                tuple(int(o) for o in a.get("out", [])),
            )
            spec.actions[(siid, action.aiid)] = action
        for e in service.get("events", []):
            event = EventSpec(
                siid,
                int(e["iid"]),
                _name(e["type"]),
                tuple(int(i) for i in e.get("arguments", [])),
                service_name,
            )
            spec.events[(siid, event.eiid)] = event
    return spec


@cache
def load_model_spec(model: str) -> ModelSpec:
    """The bundled spec of ``model`` (read once per process, shared by every device)."""
    folder = resources.files("firmware_sim.models").joinpath("specs")
    return parse_spec(model, json.loads(folder.joinpath(f"{model}.json").read_text("utf-8")))
