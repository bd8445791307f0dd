"""Air purifiers and fresh-air units: a room's air, a fan, and a filter, for every model of
both dialects (feature names through :class:`~firmware_sim.models.props.Props`).

PM2.5 follows a one-room mass balance: outdoor air leaks in (0.5 air changes an hour), the
room itself adds a little (people, cooking), and the fan removes a share proportional to its
speed (about 6 air changes an hour at full speed, a 3H's CADR in a 30 m2 room). So the air
creeps dirtier while the purifier is off and gets cleaner faster the harder it runs. A
fresh-air unit also brings CO2 down toward outdoor air as it ventilates, while the people in
the room breathe it up. The motor follows mode and level; use time, filter wear and purified
volume count while it runs.
"""

from __future__ import annotations

import math
import random
from typing import Any, ClassVar

from firmware_sim.models.behaviour import Behaviour
from firmware_sim.models.props import Props

MAX_RPM = 2200
FILTER_LIFETIME_H = 3500
HOUR = 3600.0
DAY = 86400.0
COUNTER_STEP = 60
OUTDOOR_CO2 = 420.0

MODE_RPM = {
    "silent": 400, "sleep": 400, "idle": 400, "interval": 550, "low": 800,
    "medium": 1300, "middle": 1300, "high": 1700, "strong": 2000, "off": 0,
}  # fmt: skip
"""Motor speed of the modes that name their own speed."""
MANUAL_RPM = {1: 800, 2: 1300, 3: 2000}
"""The three fan levels of MIoT purifiers."""
FAVORITE_MODES = frozenset({"favorite", "favourite"})
MOTOR_FEATURES = frozenset({"power", "mode", "fan_level", "favorite_level", "favorite_rpm"})


def favorite_rpm(level: int) -> int:
    """MIoT favourite levels 0..14 span 300..2300 rpm in steps of 10, like the app's slider."""
    return 300 + round(level * 2000 / 14 / 10) * 10


def favorite_level(rpm: int) -> int:
    return max(0, min(14, round((rpm - 300) * 14 / 2000)))


class AirPurifier(Behaviour):
    manufacturer: ClassVar[str] = "Zhimi"
    fw_ver: ClassVar[str] = "2.1.8_0049"
    hw_ver: ClassVar[str] = "esp32"
    initial: ClassVar[dict[str, Any]] = {
        "fault": 0, "power": False, "fan_level": 1, "mode": "auto",
        "pm25": 38.0, "humidity": 45, "temperature": 21.5,
        "filter_life": 87, "filter_hours": 455,
        "favorite_rpm": favorite_rpm(8), "motor_speed": 0, "favorite_level": 8,
        "use_time": 4_356_000, "purify_volume": 52_340, "aqi": 38, "realtime_update": 0,
        "buzzer": True, "buzzer_volume": 50, "led": True,
        "rfid_tag": "80:66:50:e2:c1:0a:e4", "rfid_product_id": "0:0:31:31",
    }  # fmt: skip

    OUTDOOR_PM25 = 55.0
    LEAK_PER_S = 0.5 / HOUR
    """Outdoor air exchanged per second (a share of the room)."""
    SOURCE_PER_S = 10.0 / HOUR
    """PM2.5 the room itself adds, ug/m3 per second."""
    CLEAN_PER_S = 6.0 / HOUR
    """Share of the room's air cleaned per second at full fan speed."""
    CADR_M3_PER_S = 380.0 / HOUR
    CO2_PER_S = 300.0 / HOUR
    """CO2 two people breathe into a closed room, ppm per second."""

    def __init__(self, props: Props) -> None:
        super().__init__(props)
        self.pm25 = float(props.get("pm25", 38.0))
        self.co2 = float(props.get("co2", 620))
        self.filter_seconds = float(props.get("filter_hours", 455)) * HOUR
        self.use_seconds = float(props.get("use_time", 0))
        self.volume = float(props.get("purify_volume", 0))
        self.average = float(props.get("aqi", self.pm25))
        self.phase = random.uniform(0, DAY)
        """Where in its day this room starts: a fleet's rooms are not all alike."""
        self._climate()

    def _climate(self) -> None:
        day = 2 * math.pi * (self.phase + self.elapsed) / DAY
        self.props.set("temperature", round(21.5 + 1.5 * math.sin(day), 1))
        self.props.set("humidity", round(45 - 5 * math.sin(day)))

    def _scaled(self, feature: str, default: int) -> int:
        """A level or speed within its range, as 300..2000 rpm."""
        low, high = self.props.range(feature) or (0, 14)
        level = float(self.props.get(feature, default))
        return round(300 + 1700 * (level - low) / ((high - low) or 1))

    def target_rpm(self) -> int:
        """How fast the motor runs now."""
        p = self.props
        if not p.get("power", False) or p.get("fault", 0):
            return 0
        mode = str(p.get("mode", "auto"))
        if mode == "auto":  # follow the air
            return min(MAX_RPM, 400 + round(self.pm25) * 18 // 10 * 10)
        if mode in MODE_RPM:
            return MODE_RPM[mode]
        if mode in FAVORITE_MODES:
            if p.has("favorite_level") and p.has("favorite_rpm"):
                return favorite_rpm(int(p.get("favorite_level")))
            if p.has("favorite_rpm"):
                return int(p.get("favorite_rpm"))
            if p.has("favorite_speed"):
                return self._scaled("favorite_speed", 120)
            return self._scaled("favorite_level", 8)
        level = int(p.get("fan_level", 1))
        if (self.props.range("fan_level") or (1, 3))[1] <= 3:
            return MANUAL_RPM.get(level, 800)
        return self._scaled("fan_level", 1)

    def written(self, feature: str | None, value: Any) -> None:
        p = self.props
        if feature == "fan_level" and p.has("mode"):  # a fan level leaves auto / favourite
            for name in ("fan", "none", "manual"):
                if p.choice_exists("mode", name):
                    p.set("mode", name)
                    break
        elif feature == "favorite_level" and p.has("favorite_rpm"):
            p.set("favorite_rpm", favorite_rpm(int(value)))
        elif feature == "favorite_rpm" and p.has("favorite_level"):
            p.set("favorite_level", favorite_level(int(value)))
        if feature in MOTOR_FEATURES:
            p.set("motor_speed", self.target_rpm())  # the motor answers at once

    def tick(self, dt: float) -> None:
        super().tick(dt)
        p = self.props
        current = p.get("pm25")
        if current is not None and round(self.pm25) != round(current):  # set from outside
            self.pm25 = float(current)
        rpm = self.target_rpm()
        share = rpm / MAX_RPM
        change = (
            self.LEAK_PER_S * (self.OUTDOOR_PM25 - self.pm25)
            + self.SOURCE_PER_S
            - self.CLEAN_PER_S * share * self.pm25
        )
        self.pm25 = min(600.0, max(1.0, self.pm25 + change * dt))
        p.set("pm25", float(round(self.pm25)))
        if p.has("co2"):
            ventilate = (self.LEAK_PER_S + self.CLEAN_PER_S * share) * (self.co2 - OUTDOOR_CO2)
            self.co2 = min(5000.0, max(OUTDOOR_CO2, self.co2 + (self.CO2_PER_S - ventilate) * dt))
            p.set("co2", round(self.co2))
        p.set("motor_speed", rpm)
        self.average += (self.pm25 - self.average) * min(1.0, dt / HOUR)
        p.set("aqi", round(self.average))
        self._climate()
        remaining = int(p.get("realtime_update", 0))
        if remaining:
            p.set("realtime_update", max(0, remaining - max(1, round(dt))))
        if rpm:
            self._count(dt, share)

    def _count(self, dt: float, share: float) -> None:
        p = self.props
        self.use_seconds += dt
        self.filter_seconds += dt * max(0.3, share)  # a faster fan loads the filter more
        self.volume += self.CADR_M3_PER_S * share * dt
        hours = int(self.filter_seconds // HOUR)
        p.set("filter_hours", min(10000, hours))
        p.set("filter_life", max(0, 100 - hours * 100 // FILTER_LIFETIME_H))
        if int(self.use_seconds // COUNTER_STEP) != int(p.get("use_time", 0)) // COUNTER_STEP:
            # Counters are reported by the minute, not pushed every second.
            p.set("use_time", int(self.use_seconds // COUNTER_STEP) * COUNTER_STEP)
            p.set("purify_volume", int(self.volume))

    def pm25_spike(self, value: float) -> None:
        self.pm25 = float(value)
        self.props.set("pm25", float(round(value)))

    def motor_stuck(self) -> None:
        """The motor jams: fault 2 (m1_stuck), the device-fault event, the motor stops."""
        self.props.set("fault", 2)
        self.props.set("motor_speed", 0)
        self.props.emit("fault_event", [{"piid": 1, "value": 2}])

    def clear_fault(self) -> None:
        self.props.set("fault", 0)

    def replace_filter(self) -> None:
        self.filter_seconds = 0.0
        self.props.set("filter_hours", 0)
        self.props.set("filter_life", 100)

    def action(self, feature: str) -> bool:
        if feature in {"reset_filter", "filters_cleaned"}:
            self.replace_filter()
            return True
        return super().action(feature)
