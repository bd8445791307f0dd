"""Simulated MQTT devices: a Zigbee2MQTT bridge and a Home Assistant discovery lamp."""

from firmware_sim.mqtt.bridge import SimZigbeeDevice, Zigbee2MqttBridge
from firmware_sim.mqtt.catalog import MODELS, ZigbeeDeviceConfig, ZigbeeModel, default_devices
from firmware_sim.mqtt.ha_lamp import HaDiscoveryLamp
from firmware_sim.mqtt.simulation import MqttSimulation, broker_address, run_mqtt_bridge

__all__ = [
    "MODELS",
    "HaDiscoveryLamp",
    "MqttSimulation",
    "SimZigbeeDevice",
    "Zigbee2MqttBridge",
    "ZigbeeDeviceConfig",
    "ZigbeeModel",
    "broker_address",
    "default_devices",
    "run_mqtt_bridge",
]
