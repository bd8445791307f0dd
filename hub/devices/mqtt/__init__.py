"""MQTT devices: one broker connection, Zigbee2MQTT and Home Assistant discovery adapters."""

from hub.devices.mqtt.connection import ConnectionState, MqttConnection, MqttError
from hub.devices.mqtt.ha_discovery import HaDiscoveryAdapter
from hub.devices.mqtt.reconnect import ReconnectPolicy
from hub.devices.mqtt.router import MessageCallback
from hub.devices.mqtt.zigbee2mqtt import Zigbee2MqttAdapter

__all__ = [
    "ConnectionState",
    "HaDiscoveryAdapter",
    "MessageCallback",
    "MqttConnection",
    "MqttError",
    "ReconnectPolicy",
    "Zigbee2MqttAdapter",
]
