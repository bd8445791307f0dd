"""Simulated Xiaomi device firmware that speaks the real protocols (miIO over UDP, MQTT)."""
