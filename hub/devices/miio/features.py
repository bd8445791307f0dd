"""From a MIoT spec to normalized Features, and values between the two.

A small mapping per device type names the properties users know ("power", "pm25",
"brightness"); every other property still becomes a Feature, named ``<service>_<property>``.
Nothing else is model-specific: a new model is a new spec file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from hub.devices.miio.spec import MiotAction, MiotEvent, MiotProperty, MiotSpec
from hub.devices.model import Feature, FeatureCategory, FeatureKind, Value

# (service name, property/action/event name) -> feature id, per MIoT device type.
FAMILY_NAMES: dict[str, dict[tuple[str, str], str]] = {
    "air-purifier": {
        ("air-purifier", "on"): "power",
        ("air-purifier", "mode"): "mode",
        ("air-purifier", "fan-level"): "fan_level",
        ("air-purifier", "fault"): "fault",
        ("air-purifier", "device-fault"): "fault_event",
        ("environment", "pm2.5-density"): "pm25",
        ("environment", "relative-humidity"): "humidity",
        ("environment", "temperature"): "temperature",
        ("filter", "filter-life-level"): "filter_life",
        ("filter", "filter-used-time"): "filter_hours",
        ("alarm", "alarm"): "buzzer",
        ("alarm", "volume"): "buzzer_volume",
        ("indicator-light", "brightness"): "led_brightness",
        ("indicator-light", "on"): "led",
        ("physical-controls-locked", "physical-controls-locked"): "child_lock",
        ("motor-speed", "favorite-fan-level"): "favorite_level",
        ("motor-speed", "motor-speed"): "motor_speed",
        ("aqi", "average-aqi"): "aqi",
    },
    "light": {
        ("light", "on"): "power",
        ("light", "mode"): "mode",
        ("light", "brightness"): "brightness",
        ("light", "color-temperature"): "color_temp",
        ("light", "color"): "rgb",
        ("light", "toggle"): "toggle",
    },
    "camera": {
        ("camera-control", "on"): "power",
        ("camera-control", "night-shot"): "night_vision",
        ("camera-control", "time-watermark"): "watermark",
        ("indicator-light", "on"): "status_light",
        ("motion-detection", "motion-detection"): "motion_detection",
        ("motion-detection", "detection-sensitivity"): "motion_sensitivity",
        ("motion-detection", "motion-detected"): "motion",
    },
}

PRIMARY: dict[str, frozenset[str]] = {
    "air-purifier": frozenset({"power", "pm25", "mode"}),
    "light": frozenset({"power", "brightness"}),
    "camera": frozenset({"power", "motion"}),
}
"""What a tile shows, per family; the other named features are controls, unless below."""
CONFIG = frozenset(
    {"buzzer", "buzzer_volume", "led", "led_brightness", "child_lock", "watermark",
     "status_light", "motion_sensitivity"}
)  # fmt: skip
DIAGNOSTIC = frozenset({"fault", "fault_event", "filter_hours", "motor_speed"})
LABELS = {
    "power": "Power", "pm25": "PM2.5", "aqi": "Average AQI", "humidity": "Humidity",
    "fan_level": "Fan level", "favorite_level": "Favourite level", "filter_life": "Filter life",
    "filter_hours": "Filter used for", "buzzer": "Sounds", "buzzer_volume": "Sound volume",
    "led": "Display light", "led_brightness": "Display brightness", "child_lock": "Child lock",
    "fault": "Fault", "fault_event": "Fault", "motor_speed": "Motor speed",
    "color_temp": "Colour temperature", "rgb": "Colour", "night_vision": "Night vision",
    "watermark": "Time watermark", "status_light": "Status light", "motion": "Motion",
    "motion_detection": "Motion detection", "motion_sensitivity": "Motion sensitivity",
}  # fmt: skip
"""Human names of the named features; a spec's own descriptions ("Switch Status", "PM2.5
Density") stay for the rest."""


def category_of(family: str, feature_id: str, named: bool, writable: bool) -> FeatureCategory:
    """A MIoT feature's category; one the family mapping does not name is a setting when
    writable, else a diagnostic (a spec's obscure properties)."""
    if feature_id in PRIMARY.get(family, ()):
        return FeatureCategory.PRIMARY
    if feature_id in CONFIG:
        return FeatureCategory.CONFIG
    if feature_id in DIAGNOSTIC:
        return FeatureCategory.DIAGNOSTIC
    if named:
        return FeatureCategory.CONTROL
    return FeatureCategory.CONFIG if writable else FeatureCategory.DIAGNOSTIC


UNITS = {
    "percentage": "%",
    "celsius": "°C",
    "μg/m3": "µg/m³",
    "kelvin": "K",
    "seconds": "s",
    "minutes": "min",
    "hours": "h",
    "arcdegrees": "°",
    "m3": "m³",
}

SNAPSHOT = Feature("snapshot", FeatureKind.IMAGE, name="Snapshot", category=FeatureCategory.PRIMARY)
"""A camera's picture, where the user configured a URL that serves one (``snapshot_url``)."""

SKIPPED_SERVICES = frozenset({"device-information"})


@dataclass(frozen=True, slots=True)
class PropertyBinding:
    """One Feature backed by one MIoT property, with its value conversion."""

    feature: Feature
    prop: MiotProperty

    def decode(self, raw: Any) -> Value:
        """Protocol value -> Feature value."""
        if self.prop.value_list:
            for value, description in self.prop.value_list:
                if value == raw:
                    return _choice_name(description)
            return None
        if self.prop.format == "bool":
            return bool(raw)
        if isinstance(raw, float) and self.prop.value_range and self.prop.value_range[2] >= 1:
            return int(raw)
        if isinstance(raw, bool | int | float | str):
            return raw
        return None

    def encode(self, value: Value) -> Any:
        """Feature value (already validated) -> protocol value."""
        if self.prop.value_list:
            for raw, description in self.prop.value_list:
                if _choice_name(description) == value:
                    return raw
            raise ValueError(f"{value!r} is not a choice of {self.feature.id}")
        if self.prop.format.startswith(("uint", "int")) and isinstance(value, float):
            return round(value)
        return value


@dataclass(frozen=True, slots=True)
class DeviceFeatures:
    """What the adapter needs to talk to one model in Features."""

    features: dict[str, Feature]
    properties: dict[str, PropertyBinding]
    by_iid: dict[tuple[int, int], PropertyBinding]
    actions: dict[str, MiotAction]
    events: dict[tuple[int, int], tuple[str, MiotEvent]]
    readable: tuple[tuple[int, int], ...] = ()
    """(siid, piid) of each readable property: one poll's request, shared by the model's devices."""


def _choice_name(description: str) -> str:
    return description.strip().lower().replace(" ", "_").replace("-", "_")


def _feature_id(names: dict[tuple[str, str], str], service: str, item: str) -> str:
    mapped = names.get((service, item))
    if mapped:
        return mapped
    if service == item:
        return item.replace("-", "_").replace(".", "")
    return f"{service}_{item}".replace("-", "_").replace(".", "")


def _property_feature(feature_id: str, prop: MiotProperty) -> Feature:
    name = prop.description or feature_id
    unit = UNITS.get(prop.unit or "", prop.unit)
    if prop.value_list:
        choices = tuple(_choice_name(d) for _, d in prop.value_list)
        return Feature(
            feature_id,
            FeatureKind.CHOICE,
            name,
            unit,
            choices=choices,
            readable=prop.readable,
            writable=prop.writable,
        )
    if prop.format == "bool":
        kind = FeatureKind.SWITCH if prop.writable else FeatureKind.BINARY_SENSOR
        return Feature(feature_id, kind, name, readable=prop.readable, writable=prop.writable)
    if prop.format == "string":
        kind = FeatureKind.TEXT if prop.writable else FeatureKind.SENSOR
        return Feature(feature_id, kind, name, readable=prop.readable, writable=prop.writable)
    low, high, step = prop.value_range or (None, None, None)
    kind = FeatureKind.NUMBER if prop.writable else FeatureKind.SENSOR
    return Feature(
        feature_id,
        kind,
        name,
        unit,
        low,
        high,
        step,
        readable=prop.readable,
        writable=prop.writable,
    )


@cache
def derive_features(spec: MiotSpec) -> DeviceFeatures:
    """The features of a model, built once and shared by its devices: read them, never change
    them (a device takes its own copy of ``features``)."""
    names = FAMILY_NAMES.get(spec.device_type, {})
    features: dict[str, Feature] = {}
    properties: dict[str, PropertyBinding] = {}
    actions: dict[str, MiotAction] = {}
    events: dict[tuple[int, int], tuple[str, MiotEvent]] = {}
    for service in spec.services:
        if service.name in SKIPPED_SERVICES:
            continue
        for prop in service.properties:
            feature_id = _feature_id(names, service.name, prop.name)
            named = (service.name, prop.name) in names
            category = category_of(spec.device_type, feature_id, named, prop.writable)
            feature = _property_feature(feature_id, prop)
            name = LABELS.get(feature_id, feature.name) if named else feature.name
            feature = replace(feature, category=category, name=name)
            features[feature_id] = feature
            properties[feature_id] = PropertyBinding(feature, prop)
        for action in service.actions:
            feature_id = _feature_id(names, service.name, action.name)
            features[feature_id] = Feature(
                feature_id,
                FeatureKind.ACTION,
                action.description,
                readable=False,
                writable=True,
                category=category_of(spec.device_type, feature_id, True, True),
            )
            actions[feature_id] = action
        for event in service.events:
            feature_id = _feature_id(names, service.name, event.name)
            features[feature_id] = Feature(
                feature_id,
                FeatureKind.EVENT,
                event.description,
                readable=False,
                category=category_of(spec.device_type, feature_id, True, False),
            )
            events[(event.siid, event.eiid)] = (feature_id, event)
    by_iid = {(b.prop.siid, b.prop.piid): b for b in properties.values()}
    readable = tuple((b.prop.siid, b.prop.piid) for b in properties.values() if b.prop.readable)
    return DeviceFeatures(features, properties, by_iid, actions, events, readable)
