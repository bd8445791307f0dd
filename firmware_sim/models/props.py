"""A device's properties by feature name, whichever dialect stores them.

Behaviour is written once per family against feature names and feature values ("power" True,
"mode" "auto", "pm25" 38); :class:`LegacyProps` keeps them as the model's table says (wire
names, "on"/"off", tenths...), :class:`MiotProps` as its MIoT spec says ((siid, piid), value
lists).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from firmware_sim.models.spec import ModelSpec
from firmware_sim.models.state import DeviceState
from firmware_sim.models.table import ModelTable, TableProp

MIOT_FEATURES: dict[tuple[str, str], str] = {
    ("air-purifier", "on"): "power",
    ("air-purifier", "fault"): "fault",
    ("air-purifier", "mode"): "mode",
    ("air-purifier", "fan-level"): "fan_level",
    ("environment", "pm2.5-density"): "pm25",
    ("environment", "relative-humidity"): "humidity",
    ("environment", "temperature"): "temperature",
    ("filter", "filter-life-level"): "filter_life",
    ("filter", "filter-used-time"): "filter_hours",
    ("motor-speed", "favorite-fan-level"): "favorite_level",
    ("motor-speed", "motor-speed-set"): "favorite_rpm",
    ("motor-speed", "motor-speed"): "motor_speed",
    ("use-time", "use-time"): "use_time",
    ("aqi", "purify-volume"): "purify_volume",
    ("aqi", "average-aqi"): "aqi",
    ("aqi", "aqi-realtime-update-duration"): "realtime_update",
    ("alarm", "alarm"): "buzzer",
    ("alarm", "volume"): "buzzer_volume",
    ("indicator-light", "on"): "led",
    ("rfid", "rfid-tag"): "rfid_tag",
    ("rfid", "rfid-product-id"): "rfid_product_id",
}
"""(service, property) of a MIoT spec -> the feature name behaviour uses."""
MIOT_EVENTS: dict[tuple[str, str], str] = {("air-purifier", "device-fault"): "fault_event"}


class Props:
    """Feature-named access to a :class:`DeviceState`."""

    def __init__(self, state: DeviceState) -> None:
        self.state = state

    def key(self, feature: str) -> Hashable | None:
        raise NotImplementedError

    def feature_of(self, key: Hashable) -> str | None:
        raise NotImplementedError

    def decode(self, key: Hashable, wire: Any) -> Any:
        return wire

    def encode(self, key: Hashable, value: Any) -> Any:
        return value

    def has(self, feature: str) -> bool:
        return self.key(feature) is not None

    def get(self, feature: str, default: Any = None) -> Any:
        key = self.key(feature)
        if key is None:
            return default
        wire = self.state.get(key)
        return default if wire is None else self.decode(key, wire)

    def set(self, feature: str, value: Any) -> None:
        """Store a feature value (nothing happens when the model has no such feature)."""
        key = self.key(feature)
        if key is not None:
            self.state.set(key, self.encode(key, value))

    def emit(self, event: str, arguments: list[dict[str, Any]] | None = None) -> bool:
        """Report an event where the dialect can; False where it cannot."""
        return False

    def range(self, feature: str) -> tuple[float, float] | None:
        """(lowest, highest) a numeric feature may take, where the model says."""
        return None

    def choice_exists(self, feature: str, name: str) -> bool:
        return False


class LegacyProps(Props):
    def __init__(self, state: DeviceState, table: ModelTable) -> None:
        super().__init__(state)
        self.table = table
        self.by_name: dict[str, TableProp] = {p.name: p for p in table.props}
        self.by_feature: dict[str, TableProp] = {}
        for p in table.props:
            if p.feature is not None:
                self.by_feature.setdefault(p.feature, p)

    def key(self, feature: str) -> Hashable | None:
        prop = self.by_feature.get(feature)
        return prop.name if prop is not None else None

    def feature_of(self, key: Hashable) -> str | None:
        prop = self.by_name.get(key) if isinstance(key, str) else None
        return prop.feature if prop is not None else None

    def decode(self, key: Hashable, wire: Any) -> Any:
        return self.by_name[key].decode(wire)  # type: ignore[index]

    def encode(self, key: Hashable, value: Any) -> Any:
        return self.by_name[key].encode(value)  # type: ignore[index]

    def range(self, feature: str) -> tuple[float, float] | None:
        prop = self.by_feature.get(feature)
        if prop is None or prop.range is None:
            return None
        return prop.range[0], prop.range[1]

    def choice_exists(self, feature: str, name: str) -> bool:
        prop = self.by_feature.get(feature)
        return prop is not None and any(v == name for _, v in prop.choices or ())


class MiotProps(Props):
    def __init__(self, state: DeviceState, spec: ModelSpec) -> None:
        super().__init__(state)
        self.spec = spec
        self.keys: dict[str, tuple[int, int]] = {}
        self.names: dict[Hashable, dict[int, str]] = {}
        for key, prop in spec.props.items():
            feature = MIOT_FEATURES.get((prop.service, prop.name))
            if feature is not None:
                self.keys.setdefault(feature, key)
            if feature == "mode" and prop.value_names:  # the one choice behaviour reads by name
                self.names[key] = dict(prop.value_names)
        self.events = {
            MIOT_EVENTS[(e.service, e.name)]: key
            for key, e in spec.events.items()
            if (e.service, e.name) in MIOT_EVENTS
        }

    def key(self, feature: str) -> Hashable | None:
        return self.keys.get(feature)

    def feature_of(self, key: Hashable) -> str | None:
        for feature, k in self.keys.items():
            if k == key:
                return feature
        return None

    def decode(self, key: Hashable, wire: Any) -> Any:
        names = self.names.get(key)
        return names.get(wire, wire) if names else wire

    def encode(self, key: Hashable, value: Any) -> Any:
        names = self.names.get(key)
        if names and isinstance(value, str):
            for wire, name in names.items():
                if name == value:
                    return wire
        prop = self.spec.props[key]  # type: ignore[index]
        return prop.coerce(value)

    def range(self, feature: str) -> tuple[float, float] | None:
        key = self.keys.get(feature)
        if key is None:
            return None
        prop = self.spec.props[key]
        if prop.value_range is not None:
            return prop.value_range[0], prop.value_range[1]
        if prop.values:
            return min(prop.values), max(prop.values)
        return None

    def choice_exists(self, feature: str, name: str) -> bool:
        key = self.keys.get(feature)
        return key is not None and name in self.names.get(key, {}).values()

    def emit(self, event: str, arguments: list[dict[str, Any]] | None = None) -> bool:
        key = self.events.get(event)
        if key is None:
            return False
        self.state.emit(key[0], key[1], arguments)
        return True
