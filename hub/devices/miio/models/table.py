"""The model tables: which dialect a model speaks and, for legacy miIO, its property and method
table. Pure data read from ``tables/<model>.json`` (written by ``scripts/gen_miio_tables.py``
from python-miio, which the hub never imports).

    table = load_table("yeelink.light.color2")
    table.dialect            # "legacy"
    table.read.batch         # 25 names per get_prop
    table.property("ct").set # LegacySetter(method="set_ct_abx", args=("$value", "smooth", 500))

Codecs (wire <-> feature value): ``on_off`` "on"/"off" <-> bool; ``bool``; ``int_bool`` 1/0 <->
bool; ``int``, ``float`` (wire values may be numeric strings: Yeelight answers strings);
``text``; ``tenths`` int tenths <-> float; ``choice`` via ``choices`` ([wire, feature value]);
``rgb`` int 0xRRGGBB. A setter may encode differently from the read (``set.codec`` and
``set.choices``), and ``rgb_triple`` spreads an rgb value into three args r, g, b.
Args templates: ``"$value"`` is the encoded value; ``"$<name>"`` the current wire value of
property <name>; anything else is sent as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final, Literal

from hub.errors import ConfigError, NotFound

Dialect = Literal["legacy", "miot"]
DIALECTS: Final = ("legacy", "miot")
FAMILIES: Final = ("air-purifier", "air-fresh", "light", "camera")
KINDS: Final = ("switch", "number", "choice", "sensor", "binary_sensor", "text")
CATEGORIES: Final = ("primary", "control", "config", "diagnostic")
CODECS: Final = ("on_off", "bool", "int_bool", "int", "float", "text", "tenths", "choice", "rgb")
SET_CODECS: Final = (*CODECS, "rgb_triple")
REPLIES: Final = ("list", "object")


@dataclass(frozen=True, slots=True)
class ReadPlan:
    method: str
    batch: int
    params: tuple[Any, ...] | None
    reply: Literal["list", "object"]


@dataclass(frozen=True, slots=True)
class LegacySetter:
    method: str
    args: tuple[Any, ...]
    codec: str | None = None
    """None: the property's own codec."""
    choices: tuple[tuple[Any, Any], ...] | None = None


@dataclass(frozen=True, slots=True)
class LegacyProperty:
    name: str
    feature: str | None
    kind: str
    category: str
    label: str
    unit: str | None
    codec: str
    choices: tuple[tuple[Any, Any], ...] | None
    range: tuple[float, float, float] | None
    set: LegacySetter | None
    initial: Any


@dataclass(frozen=True, slots=True)
class LegacyAction:
    feature: str
    label: str
    method: str
    args: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class ModelTable:
    model: str
    dialect: Dialect
    family: str
    description: str
    referee: str
    read: ReadPlan | None = None
    properties: tuple[LegacyProperty, ...] = ()
    actions: tuple[LegacyAction, ...] = ()
    spec: str | None = None
    """MIoT: the spec-instance file that describes the features."""

    def property(self, name: str) -> LegacyProperty:
        for prop in self.properties:
            if prop.name == name:
                return prop
        raise KeyError(f"{self.model} has no property {name!r}")


class TableError(ConfigError):
    """A bundled table does not follow the format."""


class _Reader:
    """Reads one JSON object, naming the file and the key in every complaint."""

    def __init__(
        self, where: str, data: Any, keys: set[str], optional: frozenset[str] = frozenset()
    ) -> None:
        if not isinstance(data, dict):
            raise TableError(f"{where}: expected an object, got {type(data).__name__}")
        unknown = sorted(set(data) - keys - optional)
        if unknown:
            raise TableError(f"{where}: unknown keys {unknown}; known: {sorted(keys | optional)}")
        missing = sorted(keys - set(data))
        if missing:
            raise TableError(f"{where}: missing keys {missing}")
        self.where = where
        self.data: dict[str, Any] = data

    def get(self, key: str, kind: type | tuple[type, ...], *, null: bool = False) -> Any:
        value = self.data.get(key)
        if value is None and null:
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise TableError(f"{self.where}: {key} has the wrong type: {value!r}")
        return value

    def one_of(self, key: str, allowed: tuple[str, ...], *, null: bool = False) -> Any:
        value = self.data.get(key)
        if (value is None and null) or value in allowed:
            return value
        raise TableError(f"{self.where}: {key} is {value!r}; allowed: {', '.join(allowed)}")


def _pairs(where: str, value: Any) -> tuple[tuple[Any, Any], ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(p, list) and len(p) == 2 for p in value):
        raise TableError(f"{where}: choices must be a list of [wire, value] pairs")
    return tuple((p[0], p[1]) for p in value)


def _setter(where: str, data: Any) -> LegacySetter | None:
    if data is None:
        return None
    r = _Reader(where, data, {"method", "args"}, frozenset({"codec", "choices"}))
    return LegacySetter(
        r.get("method", str),
        tuple(r.get("args", list)),
        r.one_of("codec", SET_CODECS, null=True),
        _pairs(f"{where}.choices", data.get("choices")),
    )


def _property(where: str, data: Any) -> LegacyProperty:
    keys = {"name", "feature", "kind", "category", "label", "unit", "codec", "choices",
            "range", "set", "initial"}  # fmt: skip
    r = _Reader(where, data, keys)
    rng = r.get("range", list, null=True)
    if rng is not None and (len(rng) != 3 or not all(isinstance(x, int | float) for x in rng)):
        raise TableError(f"{where}: range must be [min, max, step]")
    codec = r.one_of("codec", CODECS)
    choices = _pairs(f"{where}.choices", data["choices"])
    if (codec == "choice") != (choices is not None):
        raise TableError(f"{where}: choices are given exactly when the codec is 'choice'")
    return LegacyProperty(
        r.get("name", str),
        r.get("feature", str, null=True),
        r.one_of("kind", KINDS),
        r.one_of("category", CATEGORIES),
        r.get("label", str),
        r.get("unit", str, null=True),
        codec,
        choices,
        (float(rng[0]), float(rng[1]), float(rng[2])) if rng else None,
        _setter(f"{where}.set", data["set"]),
        data["initial"],
    )


def parse_table(where: str, data: Any) -> ModelTable:
    head = {"model", "dialect", "family", "description", "referee"}
    if isinstance(data, dict) and data.get("dialect") == "miot":
        r = _Reader(where, data, head | {"spec"})
        return ModelTable(
            r.get("model", str), "miot", r.one_of("family", FAMILIES),
            r.get("description", str), r.get("referee", str), spec=r.get("spec", str),
        )  # fmt: skip
    r = _Reader(where, data, head | {"read", "properties", "actions"})
    r.one_of("dialect", DIALECTS)
    rr = _Reader(f"{where}.read", data["read"], {"method", "batch", "params", "reply"})
    params = rr.get("params", list, null=True)
    read = ReadPlan(
        rr.get("method", str),
        rr.get("batch", int),
        tuple(params) if params is not None else None,
        rr.one_of("reply", REPLIES),
    )
    if read.batch < 1:
        raise TableError(f"{where}.read: batch must be at least 1")
    props = tuple(
        _property(f"{where}.properties[{i}]", p) for i, p in enumerate(r.get("properties", list))
    )
    actions = []
    for i, a in enumerate(r.get("actions", list)):
        ar = _Reader(f"{where}.actions[{i}]", a, {"feature", "label", "method", "args"})
        actions.append(
            LegacyAction(
                ar.get("feature", str),
                ar.get("label", str),
                ar.get("method", str),
                tuple(ar.get("args", list)),
            )
        )
    return ModelTable(
        r.get("model", str), "legacy", r.one_of("family", FAMILIES), r.get("description", str),
        r.get("referee", str), read, props, tuple(actions),
    )  # fmt: skip


def _folder() -> Any:
    return resources.files("hub.devices.miio.models").joinpath("tables")


@cache
def bundled_tables() -> list[str]:
    """Every model with a table, sorted."""
    return sorted(
        f.name.removesuffix(".json") for f in _folder().iterdir() if f.name.endswith(".json")
    )


@cache
def load_table(model: str) -> ModelTable:
    """The table of ``model`` (read once per process)."""
    if model not in bundled_tables():
        raise NotFound(f"no table for model {model!r}; supported: {', '.join(bundled_tables())}")
    where = f"tables/{model}.json"
    table = parse_table(where, json.loads(_folder().joinpath(f"{model}.json").read_text("utf-8")))
    if table.model != model:
        raise TableError(f"{where}: says it is {table.model!r}")
    return table
