"""Scenes and automations: the part of the hub that makes the home smart."""
