"""Home Assistant MQTT discovery configs -> entities and their Features. No I/O.

A config arrives on ``<prefix>/<component>/[<node_id>/]<object_id>/config`` as JSON, often
with abbreviated keys (``stat_t`` for ``state_topic``) and a ``~`` base topic. Only the
simple ``{{ value_json.x }}`` / ``{{ value }}`` templates are understood: templates are code,
and the hub does not run code it receives over MQTT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hub.devices.model import Feature, FeatureCategory, FeatureKind

COMPONENTS = frozenset({"light", "switch", "sensor", "binary_sensor"})

ABBREVIATIONS = {
    "avty": "availability",
    "avty_mode": "availability_mode",
    "avty_t": "availability_topic",
    "avty_tpl": "availability_template",
    "bri_cmd_t": "brightness_command_topic",
    "bri_scl": "brightness_scale",
    "bri_stat_t": "brightness_state_topic",
    "bri_val_tpl": "brightness_value_template",
    "cmd_t": "command_topic",
    "cmd_tpl": "command_template",
    "dev": "device",
    "dev_cla": "device_class",
    "ent_cat": "entity_category",
    "exp_aft": "expire_after",
    "ic": "icon",
    "json_attr": "json_attributes",
    "json_attr_t": "json_attributes_topic",
    "json_attr_tpl": "json_attributes_template",
    "obj_id": "object_id",
    "opt": "optimistic",
    "pl_avail": "payload_available",
    "pl_not_avail": "payload_not_available",
    "pl_off": "payload_off",
    "pl_on": "payload_on",
    "ret": "retain",
    "stat_cla": "state_class",
    "stat_off": "state_off",
    "stat_on": "state_on",
    "stat_t": "state_topic",
    "stat_val_tpl": "state_value_template",
    "t": "topic",
    "uniq_id": "unique_id",
    "unit_of_meas": "unit_of_measurement",
    "val_tpl": "value_template",
}
DEVICE_ABBREVIATIONS = {
    "cns": "connections",
    "ids": "identifiers",
    "mf": "manufacturer",
    "mdl": "model",
    "hw": "hw_version",
    "sw": "sw_version",
    "sa": "suggested_area",
    "sn": "serial_number",
}

_TEMPLATE = re.compile(
    r"^\{\{\s*value(_json(?:\.[A-Za-z_]\w*|\[\s*'[^']+'\s*\]|\[\s*\"[^\"]+\"\s*\])+)?\s*\}\}$"
)
_SEGMENT = re.compile(r"\.([A-Za-z_]\w*)|\[\s*['\"]([^'\"]+)['\"]\s*\]")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]+")


class ConfigProblem(ValueError):
    """A discovery config the hub cannot use; the message says why."""


@dataclass(frozen=True, slots=True)
class Reading:
    """How one state topic gives one feature of one device its value."""

    device_id: str
    feature: Feature
    topic: str
    path: tuple[str, ...] | None
    """Keys into the JSON payload, or ``None`` for the payload itself."""
    on: str | None = None
    off: str | None = None


@dataclass(frozen=True, slots=True)
class Command:
    topic: str
    on: str = "ON"
    off: str = "OFF"
    qos: int = 0
    retain: bool = False
    scale: float | None = None
    """Brightness commands: the device's full scale."""


@dataclass(frozen=True, slots=True)
class HaEntity:
    config_topic: str
    device_id: str
    device: dict[str, Any]
    features: tuple[Feature, ...]
    readings: tuple[Reading, ...]
    commands: dict[str, Command]
    availability: tuple[tuple[str, str, str], ...]
    """(topic, payload when available, payload when not)."""


def expand(config: dict[str, Any]) -> dict[str, Any]:
    """Expand abbreviated keys and the ``~`` base topic (Home Assistant's own rules)."""
    full = {ABBREVIATIONS.get(k, k): v for k, v in config.items()}
    if isinstance(full.get("device"), dict):
        full["device"] = {DEVICE_ABBREVIATIONS.get(k, k): v for k, v in full["device"].items()}
    if isinstance(full.get("availability"), list):
        full["availability"] = [
            {ABBREVIATIONS.get(k, k): v for k, v in item.items()}
            for item in full["availability"]
            if isinstance(item, dict)
        ]
    base = full.pop("~", None)
    if isinstance(base, str):
        full = {k: _tilde(k, v, base) for k, v in full.items()}
        for item in full.get("availability", ()):
            item["topic"] = _tilde("topic", item.get("topic"), base)
    return full


def _tilde(key: str, value: Any, base: str) -> Any:
    if not isinstance(value, str) or not (key == "topic" or key.endswith("_topic")):
        return value
    if value.startswith("~"):
        return base + value[1:]
    if value.endswith("~"):
        return value[:-1] + base
    return value


def template_path(template: Any) -> tuple[str, ...] | None:
    """``{{ value_json.a.b }}`` -> ``("a", "b")``; ``{{ value }}`` or none -> ``None``."""
    if template is None:
        return None
    match = _TEMPLATE.match(template) if isinstance(template, str) else None
    if match is None:
        raise ConfigProblem(f"unsupported template {template!r} (only {{{{ value_json.x }}}})")
    if match.group(1) is None:
        return None
    return tuple(a or b for a, b in _SEGMENT.findall(match.group(1)))


def slug(text: str) -> str:
    return _UNSAFE.sub("_", text.strip()).strip("_").lower() or "entity"


def parse_entity(
    config_topic: str, component: str, node_id: str | None, object_id: str, raw: Any
) -> HaEntity:
    """One discovery config -> an :class:`HaEntity`; :class:`ConfigProblem` if unusable."""
    if component not in COMPONENTS:
        raise ConfigProblem(f"component '{component}' is not supported")
    if not isinstance(raw, dict):
        raise ConfigProblem("the config is not a JSON object")
    config = expand(raw)
    if config.get("schema", "default") != "default":
        raise ConfigProblem(f"light schema '{config['schema']}' is not supported")
    device: dict[str, Any] = config["device"] if isinstance(config.get("device"), dict) else {}
    identifiers = device.get("identifiers")
    if isinstance(identifiers, list):
        identifiers = identifiers[0] if identifiers else None
    unique = config.get("unique_id") or (f"{node_id}_{object_id}" if node_id else object_id)
    key = str(identifiers) if identifiers else str(unique)
    device_id = f"mqtt-{_UNSAFE.sub('_', key)}"
    feature_id = slug(str(config.get("object_id") or object_id))
    name = str(config.get("name") or feature_id)
    state_topic = _topic(config, "state_topic")
    command_topic = _topic(config, "command_topic")
    on, off = str(config.get("payload_on", "ON")), str(config.get("payload_off", "OFF"))
    qos, retain = int(config.get("qos", 0)), bool(config.get("retain", False))
    features: list[Feature] = []
    readings: list[Reading] = []
    commands: dict[str, Command] = {}
    path = template_path(config.get("value_template") or config.get("state_value_template"))
    category = _category(config)
    if component in ("light", "switch", "binary_sensor"):
        writable = command_topic is not None and component != "binary_sensor"
        kind = FeatureKind.SWITCH if writable else FeatureKind.BINARY_SENSOR
        feature = Feature(feature_id, kind, name, writable=writable, category=category)
        state_on = str(config.get("state_on", on))
        state_off = str(config.get("state_off", off))
        features.append(feature)
        if state_topic:
            readings.append(Reading(device_id, feature, state_topic, path, state_on, state_off))
        if writable and command_topic is not None:
            commands[feature_id] = Command(command_topic, on, off, qos, retain)
    else:
        unit = config.get("unit_of_measurement")
        feature = Feature(
            feature_id, FeatureKind.SENSOR, name, unit=unit or None, category=category
        )
        features.append(feature)
        if state_topic:
            readings.append(Reading(device_id, feature, state_topic, path))
    brightness_state = _topic(config, "brightness_state_topic")
    brightness_command = _topic(config, "brightness_command_topic")
    if component == "light" and (brightness_state or brightness_command):
        scale = float(config.get("brightness_scale", 255))
        feature = Feature(
            f"{feature_id}_brightness",
            FeatureKind.NUMBER if brightness_command else FeatureKind.SENSOR,
            f"{name} brightness",
            minimum=0,
            maximum=scale,
            step=1,
            writable=brightness_command is not None,
        )
        features.append(feature)
        if brightness_state:
            brightness_path = template_path(config.get("brightness_value_template"))
            readings.append(Reading(device_id, feature, brightness_state, brightness_path))
        if brightness_command:
            commands[feature.id] = Command(brightness_command, qos=qos, retain=retain, scale=scale)
    return HaEntity(
        config_topic,
        device_id,
        device,
        tuple(features),
        tuple(readings),
        commands,
        _availability(config),
    )


def _topic(config: dict[str, Any], key: str) -> str | None:
    value = config.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value or "+" in value or "#" in value:
        raise ConfigProblem(f"'{key}' must be a topic name, got {value!r}")
    return value


def _availability(config: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    available = str(config.get("payload_available", "online"))
    unavailable = str(config.get("payload_not_available", "offline"))
    items: list[tuple[str, str, str]] = []
    if isinstance(config.get("availability_topic"), str):
        items.append((config["availability_topic"], available, unavailable))
    listed = config.get("availability")
    for item in listed if isinstance(listed, list) else ():
        if isinstance(item.get("topic"), str):
            on = str(item.get("payload_available", available))
            off = str(item.get("payload_not_available", unavailable))
            items.append((item["topic"], on, off))
    return tuple(items)


_DIAGNOSTIC_CLASSES = frozenset({"battery", "voltage", "signal_strength", "update"})


def _category(config: dict[str, Any]) -> FeatureCategory:
    """The entity's own ``entity_category`` when it names one; a battery, voltage or signal
    reading is a diagnostic; any other entity is what its device's tile shows."""
    named = config.get("entity_category")
    if named in ("config", "diagnostic"):
        return FeatureCategory(named)
    if config.get("device_class") in _DIAGNOSTIC_CLASSES:
        return FeatureCategory.DIAGNOSTIC
    return FeatureCategory.PRIMARY
