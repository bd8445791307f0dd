"""A real miIO UDP server per simulated device: hello, miIO.info, MIoT get/set/action, push."""

from firmware_sim.miio.device import DeviceConfig, SimulatedDevice
from firmware_sim.miio.identity import Identity
from firmware_sim.miio.miot import MiotHandler
from firmware_sim.miio.push import Subscribers
from firmware_sim.miio.server import MiioServer

__all__ = [
    "DeviceConfig",
    "Identity",
    "MiioServer",
    "MiotHandler",
    "SimulatedDevice",
    "Subscribers",
]
