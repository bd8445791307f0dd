"""A real miIO UDP server per simulated device: hello, miIO.info, the model's own dialect
(MIoT get/set/action with push, or legacy get_prop / set_*), faults."""

from firmware_sim.miio.device import DeviceConfig, SimulatedDevice
from firmware_sim.miio.identity import Identity
from firmware_sim.miio.legacy import LegacyHandler
from firmware_sim.miio.miot import MiotHandler
from firmware_sim.miio.push import Subscribers
from firmware_sim.miio.server import MiioServer

__all__ = [
    "DeviceConfig",
    "Identity",
    "LegacyHandler",
    "MiioServer",
    "MiotHandler",
    "SimulatedDevice",
    "Subscribers",
]
