"""Zigbee2MQTT ``definition.exposes`` -> Features, and values between the two. No I/O.

z2m describes what a device can do as a list of exposes: generic ones (``binary``,
``numeric``, ``enum``, ``text``), ``composite`` ones (an object value such as ``color``) and
specific ones (``light``, ``switch``, ``lock``...) that group generic features. Each generic
expose names its ``property`` in the device's state JSON and an ``access`` bit mask:
1 = reported in state, 2 = settable through ``/set``, 4 = readable through ``/get``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from hub.devices.model import Feature, FeatureCategory, FeatureKind, Value

ACCESS_STATE = 1
ACCESS_SET = 2
ACCESS_GET = 4

CONTAINER_TYPES = frozenset({"light", "switch", "lock", "fan", "cover", "climate"})
"""Specific exposes whose ``features`` are generic exposes of the same device."""

ACTION_PROPERTY = "action"
"""A button's ``action`` is an event (a press), never a state."""

_NUMBER_TYPES = (int, float)

PRIMARY_PROPERTIES = frozenset(
    {"state", "brightness", "temperature", "humidity", "pressure", "occupancy", "contact",
     "water_leak", "smoke", "gas", "illuminance", "illuminance_lux", "co2", "pm25", "power"}
)  # fmt: skip
"""What a tile shows of a Zigbee device: its switch, its readings."""
DIAGNOSTIC_PROPERTIES = frozenset(
    {"linkquality", "voltage", "battery", "battery_low", "device_temperature",
     "power_outage_count", "update", "update_available", "last_seen"}
)  # fmt: skip
"""What nobody opens a sensor to read: radio, battery and firmware details."""


def category_of(expose: dict[str, Any], prop: str, parent: str | None) -> FeatureCategory:
    """An expose's category: z2m's own (``config`` / ``diagnostic``) when it names one."""
    named = expose.get("category")
    if named in ("config", "diagnostic"):
        return FeatureCategory(named)
    if prop in DIAGNOSTIC_PROPERTIES:
        return FeatureCategory.DIAGNOSTIC
    if prop in PRIMARY_PROPERTIES and parent is None:
        return FeatureCategory.PRIMARY
    return FeatureCategory.CONTROL


@dataclass(frozen=True, slots=True)
class ExposedValue:
    """One z2m property: the Feature it becomes and how its values convert both ways."""

    feature: Feature
    key: str
    """The property's key in the state JSON (inside ``parent`` for a composite's member)."""
    expose_type: str
    parent: str | None = None
    value_on: Any = True
    value_off: Any = False
    is_event: bool = False
    """An event (a button's ``action``), published as a DeviceEvent and never stored."""

    def decode(self, raw: Any) -> Value:
        """The Feature value for a state JSON value; ``ValueError`` when it does not fit."""
        if raw is None:
            return None
        kind = self.expose_type
        if kind == "numeric":
            if type(raw) in _NUMBER_TYPES:
                return raw  # type: ignore[no-any-return]
        elif kind == "binary":
            if raw == self.value_on:
                return True
            if raw == self.value_off:
                return False
        elif isinstance(raw, str):
            return raw
        elif kind == "enum" and type(raw) in _NUMBER_TYPES:
            return str(raw)
        raise ValueError(f"{raw!r} is not a valid {kind} value for '{self.key}'")

    def encode(self, value: Value) -> Any:
        """The z2m value to send in ``/set`` for a validated Feature value."""
        if self.expose_type == "binary":
            return self.value_on if value else self.value_off
        return value


def parse_exposes(
    exposes: Any, unknown: Callable[[str], None]
) -> tuple[dict[str, ExposedValue], dict[str, tuple[ExposedValue, ...]]]:
    """Exposes -> (``{property: value}``, ``{composite property: (members...)}``).

    ``unknown(description)`` is called for each expose that cannot be used; it is skipped
    and the device keeps every other feature.
    """
    flat: dict[str, ExposedValue] = {}
    composites: dict[str, tuple[ExposedValue, ...]] = {}
    for item in _generic(exposes, unknown):
        if item.parent is None:
            flat.setdefault(item.key, item)
        else:
            composites[item.parent] = (*composites.get(item.parent, ()), item)
    return flat, composites


def _generic(
    exposes: Any, unknown: Callable[[str], None], parent: str | None = None
) -> Iterable[ExposedValue]:
    if not isinstance(exposes, list):
        unknown(f"exposes that are not a list ({type(exposes).__name__})")
        return
    for expose in exposes:
        kind = expose.get("type") if isinstance(expose, dict) else None
        if not isinstance(kind, str):
            unknown(f"an expose without a type: {expose!r:.80}")
        elif kind in CONTAINER_TYPES:
            yield from _generic(expose.get("features"), unknown, parent)
        elif kind == "composite" and parent is None and isinstance(expose.get("property"), str):
            yield from _generic(expose.get("features"), unknown, expose["property"])
        elif kind in ("binary", "numeric", "enum", "text"):
            value = _value(expose, kind, parent)
            if value is None:
                unknown(f"a {kind} expose without a property: {expose!r:.80}")
            else:
                yield value
        else:
            unknown(f"expose type '{kind}' ({expose.get('name', '?')})")


def _value(expose: dict[str, Any], kind: str, parent: str | None) -> ExposedValue | None:
    prop = expose.get("property")
    if not isinstance(prop, str) or not prop:
        return None
    access = expose.get("access", ACCESS_STATE)
    access = access if isinstance(access, int) else ACCESS_STATE
    writable = bool(access & ACCESS_SET) and parent is None
    readable = bool(access & (ACCESS_STATE | ACCESS_GET))
    name = str(expose.get("label") or expose.get("name") or prop).replace("_", " ")
    name = name[:1].upper() + name[1:]
    feature_id = prop if parent is None else f"{parent}_{prop}"
    common: dict[str, Any] = {"name": name, "readable": readable, "writable": writable,
                              "category": category_of(expose, prop, parent)}  # fmt: skip
    if kind == "binary":
        feature_kind = FeatureKind.SWITCH if writable else FeatureKind.BINARY_SENSOR
        feature = Feature(feature_id, feature_kind, **common)
        return ExposedValue(
            feature,
            prop,
            kind,
            parent,
            expose.get("value_on", True),
            expose.get("value_off", False),
        )
    if prop == ACTION_PROPERTY and parent is None:
        choices = tuple(str(v) for v in expose.get("values", ()) if v is not None)
        feature = Feature(feature_id, FeatureKind.EVENT, name, choices=choices,
                          category=FeatureCategory.PRIMARY)  # fmt: skip
        return ExposedValue(feature, prop, kind, is_event=True)
    if kind == "numeric":
        unit = expose.get("unit")
        feature = Feature(
            feature_id,
            FeatureKind.NUMBER if writable else FeatureKind.SENSOR,
            unit=unit if isinstance(unit, str) else None,
            minimum=_number(expose.get("value_min")),
            maximum=_number(expose.get("value_max")),
            step=_number(expose.get("value_step")),
            **common,
        )
    elif kind == "enum":
        choices = tuple(str(v) for v in expose.get("values", ()) if v is not None)
        feature_kind = FeatureKind.CHOICE if writable else FeatureKind.SENSOR
        feature = Feature(feature_id, feature_kind, choices=choices, **common)
    else:
        feature = Feature(feature_id, FeatureKind.TEXT, **common)
    return ExposedValue(feature, prop, kind, parent)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
