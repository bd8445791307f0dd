"""Home cameras (Chuangmi, Aqara): power, night vision, flip, status light, and motion that
is recorded while the camera is awake and motion recording (or detection) is on. Stock
firmware reports motion to its cloud, not on the LAN: these legacy cameras push nothing, and
the simulator only counts what it saw. Its JPEG snapshot is served by
:mod:`firmware_sim.models.snapshot`."""

from __future__ import annotations

from typing import ClassVar

from firmware_sim.models.behaviour import Behaviour

MOTION_SWITCHES = ("motion_record", "motion_detection")


class Camera(Behaviour):
    manufacturer: ClassVar[str] = "Chuangmi"
    fw_ver: ClassVar[str] = "4.1.6_1999"
    hw_ver: ClassVar[str] = "Linux"

    motions = 0
    """Motion seen since start."""
    recorded = 0
    """Motion clips recorded since start."""

    @property
    def watching(self) -> bool:
        props = self.props
        if props.get("privacy", False) or not props.get("power", True):
            return False
        return any(props.get(name, False) for name in MOTION_SWITCHES)

    def motion(self) -> bool:
        """Something moved in front of the lens; True when the camera recorded it."""
        if not self.watching:
            return False
        self.motions += 1
        self.recorded += 1
        self.props.emit("motion")
        return True
