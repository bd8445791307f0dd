"""Behaviour per device family, the firmware's reading of MIoT specs, and the device state."""

from firmware_sim.models.air_purifier import AirPurifier
from firmware_sim.models.behaviour import Behaviour
from firmware_sim.models.camera import Camera
from firmware_sim.models.color_light import ColorLight
from firmware_sim.models.families import BEHAVIOURS, behaviour_for
from firmware_sim.models.snapshot import SnapshotServer
from firmware_sim.models.spec import ModelSpec, PropSpec, bundled_models, load_model_spec
from firmware_sim.models.state import DeviceState
from firmware_sim.models.use_cases import UseCases

__all__ = [
    "BEHAVIOURS",
    "AirPurifier",
    "Behaviour",
    "Camera",
    "ColorLight",
    "DeviceState",
    "ModelSpec",
    "PropSpec",
    "SnapshotServer",
    "UseCases",
    "behaviour_for",
    "bundled_models",
    "load_model_spec",
]
