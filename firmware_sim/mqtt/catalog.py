"""The Zigbee devices the simulated bridge knows: Zigbee2MQTT's own definitions and payloads.

Each model carries what Zigbee2MQTT publishes for it: ``definition`` (model, vendor,
description, ``exposes``) in ``bridge/devices``, and a realistic first state (battery, voltage,
linkquality...). The exposes follow Zigbee2MQTT's JSON, quirks included: a door sensor's
``contact`` is ``true`` when the door is closed (value_on is ``false``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

STATE, SET, GET = 1, 2, 4


def numeric(
    name: str,
    unit: str | None = None,
    access: int = STATE,
    minimum: float | None = None,
    maximum: float | None = None,
    description: str = "",
    category: str | None = None,
) -> dict[str, Any]:
    expose: dict[str, Any] = {
        "type": "numeric",
        "name": name,
        "label": name.replace("_", " ").capitalize(),
        "property": name,
        "access": access,
        "description": description,
    }
    if unit is not None:
        expose["unit"] = unit
    if minimum is not None:
        expose["value_min"] = minimum
    if maximum is not None:
        expose["value_max"] = maximum
    if category is not None:
        expose["category"] = category
    return expose


def binary(
    name: str, value_on: Any, value_off: Any, access: int = STATE, description: str = ""
) -> dict[str, Any]:
    return {
        "type": "binary",
        "name": name,
        "label": name.replace("_", " ").capitalize(),
        "property": name,
        "access": access,
        "value_on": value_on,
        "value_off": value_off,
        "description": description,
    }


def enum(name: str, values: list[str], access: int = STATE) -> dict[str, Any]:
    return {
        "type": "enum",
        "name": name,
        "label": name.capitalize(),
        "property": name,
        "access": access,
        "values": values,
        "description": f"Triggered {name}" if name == "action" else "",
    }


BATTERY = numeric("battery", "%", STATE | GET, 0, 100, "Remaining battery in %", "diagnostic")
VOLTAGE = numeric("voltage", "mV", description="Voltage of the battery", category="diagnostic")
LINKQUALITY = numeric("linkquality", "lqi", minimum=0, maximum=255, category="diagnostic")
DEVICE_TEMPERATURE = numeric("device_temperature", "°C", category="diagnostic")
POWER_OUTAGES = numeric("power_outage_count", category="diagnostic")


@dataclass(frozen=True)
class ZigbeeModel:
    model: str
    vendor: str
    description: str
    model_id: str
    power_source: str
    exposes: list[dict[str, Any]]
    initial: dict[str, Any] = field(default_factory=dict)

    def definition(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "vendor": self.vendor,
            "description": self.description,
            "exposes": copy.deepcopy(self.exposes),
            "options": [],
            "supports_ota": False,
        }


BATTERY_STATE = {"battery": 100, "voltage": 3035, "linkquality": 132}

MODELS: dict[str, ZigbeeModel] = {
    m.model: m
    for m in (
        ZigbeeModel(
            "WSDCGQ11LM",
            "Aqara",
            "Temperature, humidity and pressure sensor",
            "lumi.weather",
            "Battery",
            [
                BATTERY,
                numeric("temperature", "°C", description="Measured temperature value"),
                numeric("humidity", "%", description="Measured relative humidity"),
                numeric("pressure", "hPa", description="The measured atmospheric pressure"),
                VOLTAGE,
                LINKQUALITY,
            ],
            {**BATTERY_STATE, "temperature": 21.5, "humidity": 48.2, "pressure": 1012.4},
        ),
        ZigbeeModel(
            "RTCGQ11LM",
            "Aqara",
            "Motion sensor",
            "lumi.sensor_motion.aq2",
            "Battery",
            [
                BATTERY,
                VOLTAGE,
                DEVICE_TEMPERATURE,
                POWER_OUTAGES,
                binary("occupancy", True, False, description="Indicates whether motion is seen"),
                numeric("illuminance", "lx", description="Measured illuminance"),
                LINKQUALITY,
            ],
            {**BATTERY_STATE, "occupancy": False, "illuminance": 120, "device_temperature": 23},
        ),
        ZigbeeModel(
            "MCCGQ11LM",
            "Aqara",
            "Door and window sensor",
            "lumi.sensor_magnet.aq2",
            "Battery",
            [
                BATTERY,
                VOLTAGE,
                DEVICE_TEMPERATURE,
                POWER_OUTAGES,
                binary("contact", False, True, description="Closed (= true) or open (= false)"),
                LINKQUALITY,
            ],
            {**BATTERY_STATE, "contact": True, "device_temperature": 22},
        ),
        ZigbeeModel(
            "WXKG11LM",
            "Aqara",
            "Wireless mini switch",
            "lumi.sensor_switch.aq2",
            "Battery",
            [
                BATTERY,
                VOLTAGE,
                DEVICE_TEMPERATURE,
                POWER_OUTAGES,
                enum("action", ["single", "double", "triple", "quadruple", "hold", "release"]),
                LINKQUALITY,
            ],
            {**BATTERY_STATE, "device_temperature": 22},
        ),
        ZigbeeModel(
            "ZNCZ02LM",
            "Xiaomi",
            "Mi power plug ZigBee",
            "lumi.plug",
            "Mains (single phase)",
            [
                {
                    "type": "switch",
                    "features": [
                        binary("state", "ON", "OFF", STATE | SET | GET, "On/off state")
                        | {"value_toggle": "TOGGLE"}
                    ],
                },
                numeric("power", "W", STATE | GET, description="Instantaneous measured power"),
                numeric("energy", "kWh", description="Sum of consumed energy"),
                DEVICE_TEMPERATURE,
                binary("power_outage_memory", True, False, STATE | SET | GET),
                LINKQUALITY,
            ],
            {
                "state": "OFF",
                "power": 0.0,
                "energy": 1.27,
                "device_temperature": 31,
                "power_outage_memory": False,
                "linkquality": 156,
            },
        ),
    )
}


@dataclass(frozen=True)
class ZigbeeDeviceConfig:
    friendly_name: str
    model: str
    ieee_address: str


def default_devices() -> list[ZigbeeDeviceConfig]:
    """One of each model, with the friendly names the use cases refer to."""
    names = {
        "WSDCGQ11LM": "climate_living",
        "RTCGQ11LM": "motion_hall",
        "MCCGQ11LM": "door_front",
        "WXKG11LM": "button_1",
        "ZNCZ02LM": "plug_1",
    }
    return [
        ZigbeeDeviceConfig(name, model, f"0x00158d00{index:08x}")
        for index, (model, name) in enumerate(names.items(), start=1)
    ]
