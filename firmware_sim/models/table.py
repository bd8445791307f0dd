"""The firmware's reading of its model table (``tables/<model>.json``), as a real device's
firmware is built from its model's property table. The same files as the hub's, written by
``scripts/gen_miio_tables.py``; the firmware reads them itself (it never imports ``hub``).

Codecs, wire value <-> feature value: ``on_off`` "on"/"off" <-> bool; ``bool``; ``int_bool``
1/0 <-> bool; ``int``/``float`` (numeric strings too); ``text``; ``tenths`` int tenths <-> float;
``choice`` through ``choices`` ([wire, feature value] pairs); ``rgb`` an int 0xRRGGBB;
``rgb_triple`` (setters only) three ints r, g, b.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final

ON_OFF: Final = {"on": True, "off": False}


class BadValue(ValueError):
    """A wire value does not fit a property (the firmware answers with an error)."""


@dataclass(frozen=True, slots=True)
class Setter:
    method: str
    args: tuple[Any, ...]
    codec: str
    choices: tuple[tuple[Any, Any], ...] | None

    @property
    def slot(self) -> int:
        return self.args.index("$value")


@dataclass(frozen=True, slots=True)
class TableProp:
    name: str
    feature: str | None
    kind: str
    codec: str
    choices: tuple[tuple[Any, Any], ...] | None
    range: tuple[float, float, float] | None
    set: Setter | None
    initial: Any

    def decode(self, wire: Any) -> Any:
        return decode(self.codec, self.choices, wire)

    def encode(self, value: Any) -> Any:
        """The feature value as this firmware reports it (Yeelight: numbers as strings)."""
        wire = encode(self.codec, self.choices, value)
        if isinstance(self.initial, str) and self.codec in ("int", "float", "rgb"):
            return str(wire)
        return wire

    def check(self, value: Any) -> Any:
        """The feature value if it fits the range, else BadValue."""
        if self.range is not None:
            low, high, step = self.range
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise BadValue(f"{self.name} takes a number, not {value!r}")
            if not low <= value <= high or (step >= 1 and (value - low) % step):
                raise BadValue(f"{self.name} must be {low:g}..{high:g} step {step:g}: {value!r}")
        return value


@dataclass(frozen=True, slots=True)
class Action:
    feature: str
    method: str
    args: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class ModelTable:
    model: str
    dialect: str
    family: str
    description: str
    referee: str
    """The python-miio class that verifies this model."""
    read_method: str = "get_prop"
    batch: int = 15
    reply: str = "list"
    props: tuple[TableProp, ...] = ()
    actions: tuple[Action, ...] = ()
    spec: str | None = None


def decode(codec: str, choices: tuple[tuple[Any, Any], ...] | None, wire: Any) -> Any:
    """A wire value -> the feature value (BadValue when it is not one of this codec's)."""
    try:
        if codec == "on_off" and wire in ON_OFF:
            return ON_OFF[wire]
        if codec == "bool" and isinstance(wire, bool):
            return wire
        if codec == "int_bool" and wire in (0, 1, "0", "1") and not isinstance(wire, bool):
            return bool(int(wire))
        if codec in ("int", "rgb") and not isinstance(wire, bool | float):
            return int(wire)
        if codec == "float" and not isinstance(wire, bool):
            return float(wire)
        if codec == "tenths" and isinstance(wire, int) and not isinstance(wire, bool):
            return wire / 10
        if codec == "text":  # as the device says it (Moonlight's wake-up time is a list)
            return wire
        if codec == "choice" and choices is not None:
            for w, value in choices:
                if w == wire and type(w) is type(wire):
                    return value
    except (TypeError, ValueError):
        pass
    raise BadValue(f"{wire!r} is not a {codec} value")


def encode(codec: str, choices: tuple[tuple[Any, Any], ...] | None, value: Any) -> Any:
    if codec == "on_off":
        return "on" if value else "off"
    if codec == "int_bool":
        return int(bool(value))
    if codec == "bool":
        return bool(value)
    if codec == "tenths":
        return round(float(value) * 10)
    if codec in ("int", "rgb"):
        return int(value)
    if codec == "choice" and choices is not None:
        for wire, v in choices:
            if v == value:
                return wire
        raise BadValue(f"{value!r} is not one of {[v for _, v in choices]}")
    return value


def _pairs(value: Any) -> tuple[tuple[Any, Any], ...] | None:
    return None if value is None else tuple((w, v) for w, v in value)


def parse_table(data: dict[str, Any]) -> ModelTable:
    head = (data["model"], data["dialect"], data["family"], data["description"], data["referee"])
    if data["dialect"] == "miot":
        return ModelTable(*head, spec=data["spec"])
    props = []
    for p in data["properties"]:
        s = p["set"]
        setter = None
        if s is not None:
            codec = s.get("codec", p["codec"])
            choices = _pairs(s.get("choices", p["choices"] if codec == p["codec"] else None))
            setter = Setter(s["method"], tuple(s["args"]), codec, choices)
        rng = p["range"]
        props.append(
            TableProp(
                p["name"],
                p["feature"],
                p["kind"],
                p["codec"],
                _pairs(p["choices"]),
                (float(rng[0]), float(rng[1]), float(rng[2])) if rng else None,
                setter,
                p["initial"],
            )
        )
    read = data["read"]
    actions = tuple(Action(a["feature"], a["method"], tuple(a["args"])) for a in data["actions"])
    return ModelTable(
        *head, read["method"], read["batch"], read["reply"], tuple(props), actions
    )  # fmt: skip


def _folder() -> Any:
    return resources.files("firmware_sim.models").joinpath("tables")


@cache
def bundled_models() -> list[str]:
    """Every model this firmware can be (one table each), sorted."""
    return sorted(
        f.name.removesuffix(".json") for f in _folder().iterdir() if f.name.endswith(".json")
    )


@cache
def load_table(model: str) -> ModelTable:
    if model not in bundled_models():
        known = ", ".join(bundled_models())
        raise ValueError(f"no simulated firmware for {model!r}; known: {known}")
    return parse_table(json.loads(_folder().joinpath(f"{model}.json").read_text("utf-8")))
