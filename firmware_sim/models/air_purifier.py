"""Mi Air Purifier 3H (``zhimi.airpurifier.mb3``): a room's air, a fan, and a filter.

PM2.5 follows a one-room mass balance: outdoor air leaks in (0.5 air changes an hour), the
room itself adds a little (people, cooking), and the fan removes a share proportional to its
speed (about 6 air changes an hour at full speed, a 3H's CADR in a 30 m2 room). So the air
creeps dirtier while the purifier is off and gets cleaner faster the harder it runs. The
motor follows mode and level; use time, filter wear and purified volume count while it runs.
"""

from __future__ import annotations

import math
import random
from typing import Any, ClassVar

from firmware_sim.models.behaviour import Behaviour
from firmware_sim.models.state import DeviceState

POWER = (2, 2)
FAULT = (2, 1)
FAN_LEVEL = (2, 4)
MODE = (2, 5)
PM25 = (3, 6)
HUMIDITY = (3, 7)
TEMPERATURE = (3, 8)
FILTER_LIFE = (4, 3)
FILTER_HOURS = (4, 5)
FAVORITE_RPM = (10, 7)
MOTOR_SPEED = (10, 8)
FAVORITE_LEVEL = (10, 10)
USE_TIME = (12, 1)
PURIFY_VOLUME = (13, 1)
AVERAGE_AQI = (13, 2)
REALTIME_UPDATE = (13, 9)

AUTO, SLEEP, FAVORITE, MANUAL = 0, 1, 2, 3
MANUAL_RPM = {1: 800, 2: 1300, 3: 2000}
MAX_RPM = 2200
FILTER_LIFETIME_H = 3500
HOUR = 3600.0
DAY = 86400.0
COUNTER_STEP = 60


def favorite_rpm(level: int) -> int:
    """Favorite levels 0..14 span 300..2300 rpm in steps of 10, like the app's slider."""
    return 300 + round(level * 2000 / 14 / 10) * 10


def favorite_level(rpm: int) -> int:
    return max(0, min(14, round((rpm - 300) * 14 / 2000)))


class AirPurifier(Behaviour):
    manufacturer: ClassVar[str] = "Zhimi"
    fw_ver: ClassVar[str] = "2.1.8_0049"
    hw_ver: ClassVar[str] = "esp32"
    power: ClassVar[tuple[int, int] | None] = POWER
    initial: ClassVar[dict[tuple[int, int], Any]] = {
        FAULT: 0, POWER: False, FAN_LEVEL: 1, MODE: AUTO,
        PM25: 38.0, HUMIDITY: 45, TEMPERATURE: 21.5,
        FILTER_LIFE: 87, FILTER_HOURS: 455,
        (5, 1): True, (5, 2): 50,  # buzzer, buzzer volume
        (6, 1): 0, (6, 6): True,  # LED brightness (brightest), LED on
        (7, 1): False,  # child lock
        FAVORITE_RPM: favorite_rpm(8), MOTOR_SPEED: 0, FAVORITE_LEVEL: 8,
        USE_TIME: 4_356_000,
        PURIFY_VOLUME: 52_340, AVERAGE_AQI: 38, REALTIME_UPDATE: 0,
        (14, 1): "80:66:50:e2:c1:0a:e4", (14, 3): "0:0:31:31",  # filter RFID tag, product id
        (15, 1): 0,
    }  # fmt: skip

    OUTDOOR_PM25 = 55.0
    LEAK_PER_S = 0.5 / HOUR
    """Outdoor air exchanged per second (a share of the room)."""
    SOURCE_PER_S = 10.0 / HOUR
    """PM2.5 the room itself adds, ug/m3 per second."""
    CLEAN_PER_S = 6.0 / HOUR
    """Share of the room's air cleaned per second at full fan speed."""
    CADR_M3_PER_S = 380.0 / HOUR

    def __init__(self, state: DeviceState) -> None:
        super().__init__(state)
        self.pm25 = float(state.get(*PM25))
        self.filter_seconds = float(state.get(*FILTER_HOURS)) * HOUR
        self.use_seconds = float(state.get(*USE_TIME))
        self.volume = float(state.get(*PURIFY_VOLUME))
        self.average = float(state.get(*AVERAGE_AQI))
        self.phase = random.uniform(0, DAY)
        """Where in its day this room starts: a fleet's rooms are not all alike."""
        self._climate()

    def _climate(self) -> None:
        day = 2 * math.pi * (self.phase + self.elapsed) / DAY
        self.state.set(*TEMPERATURE, round(21.5 + 1.5 * math.sin(day), 1))
        self.state.set(*HUMIDITY, round(45 - 5 * math.sin(day)))

    def target_rpm(self) -> int:
        s = self.state
        if not s.get(*POWER) or s.get(*FAULT):
            return 0
        mode = s.get(*MODE)
        if mode == AUTO:  # follow the air
            return min(MAX_RPM, 400 + round(self.pm25) * 18 // 10 * 10)
        if mode == SLEEP:
            return 400
        if mode == FAVORITE:
            return favorite_rpm(int(s.get(*FAVORITE_LEVEL)))
        return MANUAL_RPM.get(int(s.get(*FAN_LEVEL)), 800)

    def written(self, siid: int, piid: int, value: Any) -> None:
        s = self.state
        key = (siid, piid)
        if key == FAN_LEVEL:  # choosing a fan level leaves auto / sleep / favorite
            s.set(*MODE, MANUAL)
        elif key == FAVORITE_LEVEL:
            s.set(*FAVORITE_RPM, favorite_rpm(int(value)))
        elif key == FAVORITE_RPM:
            s.set(*FAVORITE_LEVEL, favorite_level(int(value)))
        if key in {POWER, MODE, FAN_LEVEL, FAVORITE_LEVEL, FAVORITE_RPM}:
            s.set(*MOTOR_SPEED, self.target_rpm())  # the motor answers at once

    def tick(self, dt: float) -> None:
        super().tick(dt)
        s = self.state
        if round(self.pm25) != s.get(*PM25):  # someone else set it (a use case, a test)
            self.pm25 = float(s.get(*PM25))
        rpm = self.target_rpm()
        share = rpm / MAX_RPM
        pm25 = self.pm25
        change = (
            self.LEAK_PER_S * (self.OUTDOOR_PM25 - pm25)
            + self.SOURCE_PER_S
            - self.CLEAN_PER_S * share * pm25
        )
        self.pm25 = min(600.0, max(1.0, pm25 + change * dt))
        s.set(*PM25, float(round(self.pm25)))
        s.set(*MOTOR_SPEED, rpm)
        self.average += (self.pm25 - self.average) * min(1.0, dt / HOUR)
        s.set(*AVERAGE_AQI, round(self.average))
        self._climate()
        remaining = int(s.get(*REALTIME_UPDATE))
        if remaining:
            s.set(*REALTIME_UPDATE, max(0, remaining - max(1, round(dt))))
        if rpm:
            self.use_seconds += dt
            self.filter_seconds += dt * max(0.3, share)  # a faster fan loads the filter more
            self.volume += self.CADR_M3_PER_S * share * dt
            hours = int(self.filter_seconds // HOUR)
            s.set(*FILTER_HOURS, min(10000, hours))
            s.set(*FILTER_LIFE, max(0, 100 - hours * 100 // FILTER_LIFETIME_H))
            if int(self.use_seconds // COUNTER_STEP) != s.get(*USE_TIME) // COUNTER_STEP:
                # Counters are reported by the minute, not pushed every second.
                s.set(*USE_TIME, int(self.use_seconds // COUNTER_STEP) * COUNTER_STEP)
                s.set(*PURIFY_VOLUME, int(self.volume))

    def pm25_spike(self, value: float) -> None:
        self.pm25 = float(value)
        self.state.set(*PM25, float(round(value)))

    def motor_stuck(self) -> None:
        """The motor jams: fault 2 (m1_stuck), the device-fault event, the motor stops."""
        self.state.set(*FAULT, 2)
        self.state.set(*MOTOR_SPEED, 0)
        self.state.emit(2, 1, [{"piid": 1, "value": 2}])

    def clear_fault(self) -> None:
        self.state.set(*FAULT, 0)

    def replace_filter(self) -> None:
        self.filter_seconds = 0.0
        self.state.set(*FILTER_HOURS, 0)
        self.state.set(*FILTER_LIFE, 100)
