"""A hub device -> Home Assistant MQTT discovery configs, one per entity. No I/O.

Each config goes to ``<discovery prefix>/<component>/<hub id>_<device id>/<object>/config``
and reads the device's one retained JSON state (``<base>/<device id>``) with a
``value_json`` template; commands go to ``<base>/<device id>/set`` as our own JSON
(``{"power": true}``), built by a ``command_template`` (or a JSON ``payload_on`` where the
schema has no template), so Home Assistant, Node-RED and a phone all speak one format.

Keys used, as Home Assistant documents them (integrations/<component>.mqtt, 2025):
common ``name``, ``unique_id``, ``device`` (``identifiers``, ``name``, ``model``,
``manufacturer``, ``via_device``), ``origin`` (``name``, ``sw_version``), ``availability``
(a list of ``topic``) with ``availability_mode: all``, ``entity_category``, ``state_topic``,
``value_template``, ``command_topic``, ``command_template``;
switch ``state_on``/``state_off``/``payload_on``/``payload_off``; binary_sensor
``payload_on``/``payload_off``, ``device_class``; number ``min``/``max``/``step``,
``unit_of_measurement``, ``mode``; select and enum sensor ``options``; sensor
``unit_of_measurement``, ``device_class``, ``state_class``; text (no more); button
``payload_press``; event ``event_types`` (the state payload carries ``event_type``); camera
``topic`` (the JPEG bytes, published by :mod:`hub.devices.mqtt.bridge_images`);
fan ``state_value_template``, ``preset_mode_state_topic``, ``preset_mode_value_template``,
``preset_mode_command_topic``, ``preset_mode_command_template``, ``preset_modes``;
light (default schema) ``state_value_template``, ``payload_on``/``payload_off``,
``brightness_*`` with ``brightness_scale``, ``color_temp_*`` with ``color_temp_kelvin``,
``min_kelvin``/``max_kelvin``, ``rgb_*`` (``red``, ``green``, ``blue`` in the template).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from hub.devices.model import Device, Feature, FeatureCategory, FeatureKind
from hub.devices.mqtt.bridge_images import image_feature

ORIGIN_NAME = "mihub"
"""``origin.name`` of every config a mihub hub publishes: its own discovery import skips them."""

_SENSOR_CLASSES: dict[str, tuple[str, frozenset[str | None]]] = {
    "temperature": ("temperature", frozenset({"°C", "°F"})),
    "humidity": ("humidity", frozenset({"%"})),
    "pm25": ("pm25", frozenset({"µg/m³"})),
    "pm10": ("pm10", frozenset({"µg/m³"})),
    "co2": ("carbon_dioxide", frozenset({"ppm"})),
    "illuminance": ("illuminance", frozenset({"lx"})),
    "battery": ("battery", frozenset({"%"})),
    "power_consumption": ("power", frozenset({"W"})),
}
"""Feature id -> Home Assistant sensor device class, with the units that class accepts."""
_UNIT_CLASSES = {"°C": "temperature", "W": "power", "kWh": "energy", "lx": "illuminance",
                 "s": "duration", "min": "duration", "h": "duration"}  # fmt: skip
_TOTALS = frozenset({"kWh", "m³"})
_BINARY_CLASSES = {"motion": "motion", "occupancy": "occupancy", "contact": "door",
                   "moisture": "moisture", "smoke": "smoke", "leak": "moisture"}  # fmt: skip
_SAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True, slots=True)
class BridgeTopics:
    """Where one hub's exports live on the broker."""

    hub_id: str
    base: str
    """``<prefix>``: the hub's status is ``<base>/status``, a device is ``<base>/<device id>``."""
    discovery_prefix: str = "homeassistant"
    version: str = ""

    @property
    def hub_status(self) -> str:
        return f"{self.base}/status"

    @property
    def hub_identifier(self) -> str:
        return f"mihub_{safe(self.hub_id)}"

    def state(self, device_id: str) -> str:
        return f"{self.base}/{device_id}"

    def image(self, device_id: str, feature_id: str) -> str:
        return f"{self.base}/{device_id}/image/{feature_id}"

    def node(self, device_id: str) -> str:
        return f"{safe(self.hub_id)}_{safe(device_id)}"

    def config(self, component: str, device_id: str, object_id: str) -> str:
        return (
            f"{self.discovery_prefix}/{component}/{self.node(device_id)}/{safe(object_id)}/config"
        )


def safe(text: str) -> str:
    """An id as a discovery topic level and ``unique_id`` allow it (``[A-Za-z0-9_-]``)."""
    return _SAFE.sub("_", text)


def hub_config(topics: BridgeTopics) -> tuple[str, dict[str, Any]]:
    """The hub itself as a device, with one connectivity entity: the ``via_device`` of all."""
    config = {
        "name": "Connected",
        "unique_id": f"{topics.hub_identifier}_status",
        "device_class": "connectivity",
        "entity_category": "diagnostic",
        "state_topic": topics.hub_status,
        "payload_on": "online",
        "payload_off": "offline",
        "device": {"identifiers": [topics.hub_identifier], "name": f"mihub {topics.hub_id}",
                   "manufacturer": "mihub", "model": "hub", "sw_version": topics.version},
        "origin": {"name": ORIGIN_NAME, "sw_version": topics.version},
    }  # fmt: skip
    node = safe(topics.hub_id)
    return f"{topics.discovery_prefix}/binary_sensor/{node}/status/config", config


def device_configs(
    device: Device, topics: BridgeTopics, cameras: bool = False
) -> dict[str, dict[str, Any]]:
    """Every discovery config of ``device``, by config topic; with ``cameras``, a camera
    for its picture feature when its pictures can be fetched (and so are published)."""
    state = topics.state(device.id)
    common: dict[str, Any] = {
        "device": {"identifiers": [f"{topics.hub_identifier}_{safe(device.id)}"],
                   "name": device.name, "model": device.model,
                   "manufacturer": device.manufacturer or "Xiaomi",
                   "via_device": topics.hub_identifier},
        "origin": {"name": ORIGIN_NAME, "sw_version": topics.version},
        "availability": [{"topic": topics.hub_status}, {"topic": f"{state}/availability"}],
        "availability_mode": "all",
    }  # fmt: skip
    if device.room:
        common["device"]["suggested_area"] = device.room
    configs: dict[str, dict[str, Any]] = {}

    def add(component: str, object_id: str, entity: dict[str, Any]) -> None:
        entity["unique_id"] = f"{common['device']['identifiers'][0]}_{safe(object_id)}"
        configs[topics.config(component, device.id, object_id)] = {**entity, **common}

    folded, main = _main_entity(device, state)
    if main is not None:
        add(main[0], main[0], main[1])
    if cameras and (image := image_feature(device)) is not None:
        name = device.features[image].name or image
        add("camera", image, {"name": name, "topic": topics.image(device.id, image)})
    for feature in device.features.values():
        if feature.id in folded:
            continue
        entity = _feature_entity(feature, state)
        if entity is not None:
            add(entity[0], feature.id, entity[1])
    return configs


def _main_entity(device: Device, state: str) -> tuple[set[str], tuple[str, dict[str, Any]] | None]:
    """A light (power + brightness) or a fan (power + preset modes) named after the device."""
    features = device.features
    power = features.get("power")
    if power is None or power.kind is not FeatureKind.SWITCH or not power.writable:
        return set(), None
    brightness = _writable(features.get("brightness"), FeatureKind.NUMBER)
    mode = _writable(features.get("mode"), FeatureKind.CHOICE)
    if brightness is not None:
        return _light(device, state)
    if mode is not None:
        return {"power", "mode"}, ("fan", {
            "name": None,
            "state_topic": state,
            "state_value_template": "{{ 'ON' if value_json['power'] else 'OFF' }}",
            "command_topic": f"{state}/set",
            "command_template": '{"power": {{ "true" if value == "ON" else "false" }}}',
            "preset_mode_state_topic": state,
            "preset_mode_value_template": "{{ value_json['mode'] }}",
            "preset_mode_command_topic": f"{state}/set",
            "preset_mode_command_template": '{"mode": {{ value | to_json }}}',
            "preset_modes": list(mode.choices),
        })  # fmt: skip
    return set(), None


def _light(device: Device, state: str) -> tuple[set[str], tuple[str, dict[str, Any]]]:
    features = device.features
    brightness = features["brightness"]
    low = int(brightness.minimum or 0)
    light: dict[str, Any] = {
        "name": None,
        "state_topic": state,
        "state_value_template": _if("value_json['power']", _ON, _OFF),
        "command_topic": f"{state}/set",
        "payload_on": _ON,
        "payload_off": _OFF,
        "brightness_state_topic": state,
        "brightness_value_template": "{{ value_json['brightness'] }}",
        "brightness_command_topic": f"{state}/set",
        "brightness_command_template": f'{{"brightness": {{{{ [value, {max(low, 1)}] | max }}}}}}',
        "brightness_scale": int(brightness.maximum or 100),
    }
    folded = {"power", "brightness"}
    color_temp = _writable(features.get("color_temp"), FeatureKind.NUMBER)
    if color_temp is not None and color_temp.unit == "K":
        folded.add("color_temp")
        light |= {
            "color_temp_kelvin": True,
            "color_temp_state_topic": state,
            "color_temp_value_template": "{{ value_json['color_temp'] }}",
            "color_temp_command_topic": f"{state}/set",
            "color_temp_command_template": '{"color_temp": {{ value }}}',
            "min_kelvin": int(color_temp.minimum or 2000),
            "max_kelvin": int(color_temp.maximum or 6500),
        }
    if _writable(features.get("rgb"), FeatureKind.NUMBER) is not None:
        folded.add("rgb")
        light |= {
            "rgb_state_topic": state,
            "rgb_value_template": "{{ (value_json['rgb'] // 65536) % 256 }},"
            "{{ (value_json['rgb'] // 256) % 256 }},{{ value_json['rgb'] % 256 }}",
            "rgb_command_topic": f"{state}/set",
            "rgb_command_template": '{"rgb": {{ red * 65536 + green * 256 + blue }}}',
        }
    return folded, ("light", light)


_ON = '{"power": true}'
_OFF = '{"power": false}'


def _if(test: str, yes: str, no: str) -> str:
    return f"{{% if {test} %}}{yes}{{% else %}}{no}{{% endif %}}"


def _writable(feature: Feature | None, kind: FeatureKind) -> Feature | None:
    if feature is None or feature.kind is not kind or not feature.writable:
        return None
    return feature


def _feature_entity(feature: Feature, state: str) -> tuple[str, dict[str, Any]] | None:
    value = f"{{{{ value_json[{json.dumps(feature.id)}] }}}}"
    read = {"name": feature.name or feature.id, "state_topic": state, "value_template": value}
    key = json.dumps(feature.id)
    command = {"command_topic": f"{state}/set",
               "command_template": f"{{{key}: {{{{ value | to_json }}}}}}"}  # fmt: skip
    kind, writable = feature.kind, feature.writable
    if feature.category in (FeatureCategory.CONFIG, FeatureCategory.DIAGNOSTIC):
        read["entity_category"] = "config" if writable else "diagnostic"
    if kind is FeatureKind.SWITCH and writable:
        on, off = json.dumps({feature.id: True}), json.dumps({feature.id: False})
        return "switch", {**read, "command_topic": command["command_topic"], "payload_on": on,
                          "payload_off": off, "state_on": "True", "state_off": "False"}  # fmt: skip
    if kind in (FeatureKind.SWITCH, FeatureKind.BINARY_SENSOR):
        entity: dict[str, Any] = {**read, "payload_on": "True", "payload_off": "False"}
        if feature.id in _BINARY_CLASSES:
            entity["device_class"] = _BINARY_CLASSES[feature.id]
        return "binary_sensor", entity
    if kind is FeatureKind.NUMBER and writable:
        entity = {**read, **command, "mode": "box" if feature.maximum is None else "auto"}
        entity["min"] = feature.minimum if feature.minimum is not None else -(2**31)
        entity["max"] = feature.maximum if feature.maximum is not None else 2**31
        entity["step"] = feature.step or 1
        if feature.unit:
            entity["unit_of_measurement"] = feature.unit
        return "number", entity
    if kind is FeatureKind.CHOICE and writable:
        return "select", {**read, **command, "options": list(feature.choices)}
    if kind is FeatureKind.TEXT and writable:
        return "text", {**read, **command}
    if kind is FeatureKind.CHOICE:
        return "sensor", {**read, "device_class": "enum", "options": list(feature.choices)}
    if kind in (FeatureKind.SENSOR, FeatureKind.NUMBER, FeatureKind.TEXT):
        return "sensor", {**read, **_sensor_class(feature)}
    if kind is FeatureKind.ACTION:
        return "button", {"name": feature.name or feature.id, "command_topic": f"{state}/action",
                          "payload_press": json.dumps({"action": feature.id})}  # fmt: skip
    if kind is FeatureKind.EVENT:
        return "event", {"name": feature.name or feature.id,
                         "state_topic": f"{state}/event/{feature.id}",
                         "event_types": list(feature.choices) or [feature.id]}  # fmt: skip
    return None  # IMAGE: a camera, from device_configs, when its pictures are published


def _sensor_class(feature: Feature) -> dict[str, Any]:
    unit = feature.unit
    numeric = unit is not None or feature.minimum is not None or feature.maximum is not None
    if not numeric or feature.kind is FeatureKind.TEXT:
        return {}
    extra: dict[str, Any] = {
        "state_class": "total_increasing" if unit in _TOTALS else "measurement"
    }
    if unit:
        extra["unit_of_measurement"] = unit
    known = _SENSOR_CLASSES.get(feature.id)
    if known is not None and unit in known[1]:
        extra["device_class"] = known[0]
    elif unit in _UNIT_CLASSES:
        extra["device_class"] = _UNIT_CLASSES[unit]
    return extra
