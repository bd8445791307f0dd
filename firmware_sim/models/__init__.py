"""Behaviour per device family, the firmware's reading of model tables and MIoT specs, and
the device state."""

from firmware_sim.models.air_purifier import AirPurifier
from firmware_sim.models.behaviour import Behaviour
from firmware_sim.models.camera import Camera
from firmware_sim.models.families import BEHAVIOURS, behaviour_for
from firmware_sim.models.light import Light
from firmware_sim.models.props import LegacyProps, MiotProps, Props
from firmware_sim.models.snapshot import SnapshotServer
from firmware_sim.models.spec import ModelSpec, PropSpec, load_model_spec
from firmware_sim.models.state import DeviceState
from firmware_sim.models.table import ModelTable, bundled_models, load_table
from firmware_sim.models.use_cases import UseCases

__all__ = [
    "BEHAVIOURS",
    "AirPurifier",
    "Behaviour",
    "Camera",
    "DeviceState",
    "LegacyProps",
    "Light",
    "MiotProps",
    "ModelSpec",
    "ModelTable",
    "PropSpec",
    "Props",
    "SnapshotServer",
    "UseCases",
    "behaviour_for",
    "bundled_models",
    "load_model_spec",
    "load_table",
]
