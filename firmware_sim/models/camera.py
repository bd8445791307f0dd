"""Xiaomi home camera (``chuangmi.camera.ipc019``): sleep switch, night shot, watermark,
status light, and motion detection that reports ``motion-detected`` events while the camera
is awake and detection is on. Its JPEG snapshot is served by :mod:`firmware_sim.models.snapshot`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from firmware_sim.models.behaviour import Behaviour
from firmware_sim.models.state import DeviceState

POWER = (2, 1)
IMAGE_ROLLOVER = (2, 2)
NIGHT_SHOT = (2, 3)
WATERMARK = (2, 4)
WDR = (2, 5)
STATUS_LIGHT = (3, 1)
MOTION_DETECTION = (5, 1)
ALARM_INTERVAL = (5, 2)
SENSITIVITY = (5, 3)
MOTION_EVENT = (5, 1)


class Camera(Behaviour):
    manufacturer: ClassVar[str] = "Chuangmi"
    fw_ver: ClassVar[str] = "4.1.6_1999"
    hw_ver: ClassVar[str] = "Linux"
    power: ClassVar[tuple[int, int] | None] = POWER
    initial: ClassVar[dict[tuple[int, int], Any]] = {
        POWER: True, IMAGE_ROLLOVER: 0, NIGHT_SHOT: 0, WATERMARK: True, WDR: False,
        STATUS_LIGHT: True,
        MOTION_DETECTION: True, ALARM_INTERVAL: 3, SENSITIVITY: 1,
    }  # fmt: skip

    def __init__(self, state: DeviceState) -> None:
        super().__init__(state)
        self.motions = 0
        """Motion events reported since start."""

    @property
    def watching(self) -> bool:
        return bool(self.state.get(*POWER) and self.state.get(*MOTION_DETECTION))

    def motion(self) -> bool:
        """Something moved in front of the lens; True when the camera reported it."""
        if not self.watching:
            return False
        self.motions += 1
        self.state.emit(*MOTION_EVENT, [])
        return True
