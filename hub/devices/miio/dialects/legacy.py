"""Legacy miIO: ``get_prop`` with property names, ``set_*`` methods, driven by the model's table.

    dialect = LegacyDialect(load_table("yeelink.light.color2"))
    await dialect.read(session)          # get_prop ["power", "bright", ...] -> {"power": True, ...}
    await dialect.write(session, brightness, 40)   # set_bright [40]

Names go out in batches of the table's ``read.batch`` and values come back by position (or,
for a ``reply: object`` model, as one dict). The codecs of hub/devices/miio/models/table.py
turn wire values into feature values and back. A device that pushes legacy ``props`` has them
read the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hub.devices.miio.dialects.dialect import Pushed, Requester
from hub.devices.miio.models.table import LegacyAction, LegacyProperty, ModelTable
from hub.devices.miio.wire.replies import set_succeeded, shown
from hub.devices.model import Feature, FeatureCategory, FeatureKind, Value
from hub.errors import DeviceError, InvalidValue, ProtocolError


def decode(codec: str, choices: tuple[tuple[Any, Any], ...] | None, wire: Any) -> Value:
    """A wire value -> the feature value; None when the device sent nothing usable."""
    try:
        if codec == "choice":
            return next((v for w, v in choices or () if w == wire or str(w) == str(wire)), None)
        if codec == "on_off":
            return {"on": True, "off": False}.get(str(wire).lower()) if wire is not None else None
        if codec in ("bool", "int_bool"):
            if isinstance(wire, bool):
                return wire
            if isinstance(wire, str) and wire.lower() in ("true", "false"):
                return wire.lower() == "true"
            return int(float(wire)) != 0
        if codec in ("int", "rgb"):
            return int(float(wire))
        if codec == "float":
            return float(wire)
        if codec == "tenths":
            return round(float(wire) / 10, 1)
        if codec == "text":
            return None if wire is None else str(wire)
    except (TypeError, ValueError):
        return None
    return None


def encode(codec: str, choices: tuple[tuple[Any, Any], ...] | None, value: Value) -> list[Any]:
    """A feature value -> the wire value(s) for a setter's ``$value`` (rgb_triple gives three)."""
    if codec == "choice":
        for wire, name in choices or ():
            if name == value:
                return [wire]
        raise InvalidValue(f"{value!r} is not one of the choices")
    if codec == "on_off":
        return ["on" if value else "off"]
    if codec == "bool":
        return [bool(value)]
    if codec == "int_bool":
        return [1 if value else 0]
    if codec in ("int", "rgb"):
        return [round(float(value or 0))]
    if codec == "float":
        return [float(value or 0)]
    if codec == "tenths":
        return [round(float(value or 0) * 10)]
    if codec == "rgb_triple":
        rgb = round(float(value or 0))
        return [(rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF]
    return [str(value)]


KINDS = {
    "switch": FeatureKind.SWITCH,
    "number": FeatureKind.NUMBER,
    "choice": FeatureKind.CHOICE,
    "sensor": FeatureKind.SENSOR,
    "binary_sensor": FeatureKind.BINARY_SENSOR,
    "text": FeatureKind.TEXT,
}


def _feature(prop: LegacyProperty, feature_id: str) -> Feature:
    low, high, step = prop.range or (None, None, None)
    choices = tuple(str(v) for _, v in prop.choices or ()) if prop.kind == "choice" else ()
    return Feature(
        feature_id,
        KINDS[prop.kind],
        prop.label,
        prop.unit,
        low,
        high,
        step,
        choices,
        readable=True,
        writable=prop.set is not None,
        category=FeatureCategory(prop.category),
    )


def _action(action: LegacyAction) -> Feature:
    return Feature(action.feature, FeatureKind.ACTION, action.label, readable=False, writable=True)


@dataclass(frozen=True, slots=True)
class LegacyModel:
    """A table made ready for use: built once per model, shared by its devices."""

    table: ModelTable
    features: dict[str, Feature]
    by_feature: dict[str, LegacyProperty]
    actions: dict[str, LegacyAction]
    names: tuple[str, ...]
    """Wire names to read: every property with a feature or named by a setter's template."""


_PREPARED: dict[str, LegacyModel] = {}


def prepare(table: ModelTable) -> LegacyModel:
    """The table made ready, once per model (tables hold lists: not hashable for @cache)."""
    ready = _PREPARED.get(table.model)
    if ready is None or ready.table is not table:
        ready = _PREPARED[table.model] = _prepare(table)
    return ready


def _prepare(table: ModelTable) -> LegacyModel:
    by_feature = {p.feature: p for p in table.properties if p.feature}
    features = {f: _feature(p, f) for f, p in by_feature.items()}
    actions = {a.feature: a for a in table.actions}
    features.update({a.feature: _action(a) for a in table.actions})
    wanted = {p.name for p in by_feature.values()}
    for prop in by_feature.values():
        args = prop.set.args if prop.set else ()
        wanted.update(a[1:] for a in args if isinstance(a, str) and a.startswith("$"))
    names = tuple(p.name for p in table.properties if p.name in wanted)
    return LegacyModel(table, features, by_feature, actions, names)


class LegacyDialect:
    """One legacy miIO device's features over its session."""

    name = "legacy"
    subscribes = True
    """Offered once; legacy firmware mostly refuses it and is polled."""

    def __init__(self, table: ModelTable) -> None:
        self.model = prepare(table)
        self.features: Mapping[str, Feature] = self.model.features
        self.wire: dict[str, Any] = {}
        """The last wire value read per property name (for setters that repeat one)."""

    async def read(
        self, session: Requester, feature_ids: Sequence[str] | None = None
    ) -> dict[str, Value]:
        model = self.model
        names = list(model.names)
        if feature_ids is not None:
            wanted = {model.by_feature[f].name for f in feature_ids if f in model.by_feature}
            names = [n for n in names if n in wanted]
        plan = model.table.read
        if not names or plan is None:
            return {}
        if plan.reply == "object":
            reply = await session.send(plan.method, list(plan.params or ()))
            if not isinstance(reply, dict):
                raise ProtocolError(f"{session.host}: {plan.method} returned {shown(reply)}")
            self.wire.update({n: reply[n] for n in names if n in reply})
        else:
            for start in range(0, len(names), plan.batch):
                batch = names[start : start + plan.batch]
                reply = await session.send(plan.method, batch)
                if not isinstance(reply, list) or len(reply) != len(batch):
                    raise ProtocolError(
                        f"{session.host}: {plan.method} of {len(batch)} names returned "
                        f"{shown(reply)}"
                    )
                self.wire.update(zip(batch, reply, strict=True))
        return self._values(names)

    def _values(self, names: Sequence[str]) -> dict[str, Value]:
        values: dict[str, Value] = {}
        for prop in self.model.by_feature.values():
            if prop.name in names and prop.feature and prop.name in self.wire:
                value = decode(prop.codec, prop.choices, self.wire[prop.name])
                if value is not None:
                    values[prop.feature] = value
        return values

    async def write(self, session: Requester, feature: Feature, value: Value) -> None:
        prop = self.model.by_feature.get(feature.id)
        if prop is None or prop.set is None:
            raise InvalidValue(f"feature '{feature.id}' cannot be set")
        setter = prop.set
        encoded = encode(setter.codec or prop.codec, setter.choices or prop.choices, value)
        args: list[Any] = []
        for arg in setter.args:
            if arg == "$value":
                args.extend(encoded)
            elif isinstance(arg, str) and arg.startswith("$"):
                args.append(self.wire.get(arg[1:]))
            else:
                args.append(arg)
        result = await session.send(setter.method, args)
        if not set_succeeded(result):
            raise DeviceError(f"{session.host} refused {feature.id}={value!r}: {shown(result)}")

    async def act(
        self, session: Requester, feature: Feature, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        action = self.model.actions.get(feature.id)
        if action is None:
            raise InvalidValue(f"'{feature.id}' is not an action")
        result = await session.send(action.method, list(action.args))
        if not set_succeeded(result):
            raise DeviceError(f"{session.host} refused {feature.id}: {shown(result)}")
        return {"out": []}

    def pushed(self, payload: dict[str, Any]) -> Pushed:
        """Legacy firmware reports changes as ``props`` {name: value}."""
        params = payload.get("params")
        if payload.get("method") != "props" or not isinstance(params, dict):
            return Pushed()
        names = [n for n in params if n in self.model.names]
        self.wire.update({n: params[n] for n in names})
        return Pushed(values=self._values(names))
