"""Behaviour per device family: how a device's state evolves and what its actions do.

``BEHAVIOURS`` maps a model to its behaviour class; it is an explicit table, not a registry
filled by import side effects.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from firmware_sim.models.state import DeviceState


class Behaviour:
    """Initial values, a tick that moves time forward, and actions."""

    initial: ClassVar[dict[tuple[int, int], Any]] = {}

    def __init__(self, state: DeviceState) -> None:
        self.state = state
        self.elapsed = 0.0

    def tick(self, dt: float) -> None:
        self.elapsed += dt

    def action(self, siid: int, aiid: int, args: list[Any]) -> list[Any] | None:
        """Run an action; None when the device has no such action."""
        return None


class AirPurifier(Behaviour):
    """Mi Air Purifier 3H: PM2.5 creeps up while off, falls faster at higher fan speed."""

    initial: ClassVar[dict[tuple[int, int], Any]] = {
        (2, 1): 0, (2, 2): False, (2, 4): 1, (2, 5): 0,
        (3, 6): 38.0, (3, 7): 45, (3, 8): 21.5,
        (4, 3): 87, (4, 5): 1210,
        (5, 1): True, (5, 2): 50,
        (6, 1): 0, (6, 6): True,
        (7, 1): False,
        (10, 7): 1000, (10, 8): 0, (10, 10): 8,
        (12, 1): 4356000,
        (13, 1): 52340, (13, 2): 38, (13, 9): 5,
        (14, 1): "80:66:50:e2:c1:0a:e4", (14, 3): "0:0:31:31",
        (15, 1): 0,
    }  # fmt: skip

    OUTDOOR_PM25 = 55.0

    def __init__(self, state: DeviceState) -> None:
        super().__init__(state)
        self.running = float(state.get(12, 1))
        self.pm25 = float(state.get(3, 6))

    def fan_rpm(self) -> int:
        s = self.state
        if not s.get(2, 2):
            return 0
        mode = s.get(2, 5)
        if mode == 0:  # auto: follow the air
            pm25 = float(s.get(3, 6))
            return int(min(2200, 400 + pm25 * 20))
        if mode == 1:  # sleep
            return 400
        if mode == 2:  # favorite: level 0..14
            return 300 + int(s.get(10, 10)) * 130
        return {1: 800, 2: 1300, 3: 2000}.get(int(s.get(2, 4)), 800)

    def tick(self, dt: float) -> None:
        super().tick(dt)
        s = self.state
        reported = float(s.get(3, 6))
        if round(self.pm25) != reported:  # someone set it (a use case, a test)
            self.pm25 = reported
        pm25 = self.pm25
        rpm = self.fan_rpm()
        creep = (self.OUTDOOR_PM25 - pm25) * 0.01 * dt  # leaky flat
        clean = pm25 * (rpm / 2200.0) * 0.08 * dt
        pm25 = self.pm25 = max(1.0, pm25 + creep - clean)
        s.set(3, 6, float(round(pm25)))
        s.set(10, 8, rpm)
        average = int(s.get(13, 2))
        s.set(13, 2, round(average + (pm25 - average) * min(1.0, 0.02 * dt)))
        s.set(3, 8, round(21.5 + 0.8 * math.sin(self.elapsed / 600.0), 1))
        s.set(3, 7, int(45 + 5 * math.sin(self.elapsed / 900.0)))
        if rpm:
            self.running += dt
            used = int(self.running)
            s.set(12, 1, used)
            s.set(4, 5, used // 3600)
            s.set(4, 3, max(0, 100 - used // 36000))
            s.set(13, 1, s.get(13, 1) + int(rpm * dt / 600))


class ColorLight(Behaviour):
    """Yeelight colour bulb: power, brightness, colour temperature, RGB, toggle."""

    initial: ClassVar[dict[tuple[int, int], Any]] = {
        (2, 1): False, (2, 2): 0, (2, 3): 80, (2, 4): 4000, (2, 5): 16750848,
    }  # fmt: skip

    def action(self, siid: int, aiid: int, args: list[Any]) -> list[Any] | None:
        if (siid, aiid) == (2, 1):
            self.state.set(2, 1, not self.state.get(2, 1))
            return []
        return None


class Camera(Behaviour):
    """Xiaomi camera: motion events while awake with detection on."""

    initial: ClassVar[dict[tuple[int, int], Any]] = {
        (2, 1): True, (2, 2): 0, (2, 3): 0, (2, 4): True, (2, 5): False,
        (3, 1): True,
        (5, 1): True, (5, 2): 3, (5, 3): 1,
    }  # fmt: skip

    def motion(self) -> bool:
        """Something moved in front of the lens; True when the camera reported it."""
        if not (self.state.get(2, 1) and self.state.get(5, 1)):
            return False
        self.state.emit(5, 1, [])
        return True


BEHAVIOURS: dict[str, type[Behaviour]] = {
    "zhimi.airpurifier.mb3": AirPurifier,
    "yeelink.light.color2": ColorLight,
    "chuangmi.camera.ipc019": Camera,
}
