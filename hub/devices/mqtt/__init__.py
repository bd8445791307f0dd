"""MQTT devices: one broker connection, Zigbee2MQTT and Home Assistant discovery adapters."""

from hub.devices.mqtt.connection import ConnectionState, MessageCallback, MqttConnection, MqttError
from hub.devices.mqtt.reconnect import ReconnectPolicy

__all__ = [
    "ConnectionState",
    "MessageCallback",
    "MqttConnection",
    "MqttError",
    "ReconnectPolicy",
]
