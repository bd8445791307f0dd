"""MQTT devices: one broker connection, Zigbee2MQTT and Home Assistant discovery adapters."""

from hub.devices.mqtt.connection import ConnectionState, MqttConnection, MqttError
from hub.devices.mqtt.reconnect import ReconnectPolicy
from hub.devices.mqtt.router import MessageCallback

__all__ = [
    "ConnectionState",
    "MessageCallback",
    "MqttConnection",
    "MqttError",
    "ReconnectPolicy",
]
