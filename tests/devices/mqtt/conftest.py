"""A private Mosquitto for every MQTT test here (see tests/mqtt_broker.py)."""

from tests.mqtt_broker import mosquitto

__all__ = ["mosquitto"]
