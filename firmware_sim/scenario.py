"""HouseLife: a simulated home that lives by itself, for demos and for tests of whole homes.

A scenario clock runs ``speed`` times faster than real time. On it:

- the Zigbee climate sensors follow a day curve (coolest at 05:00, warmest at 15:00, humidity
  the other way round), and each sensor's room air follows the nearest purifier: humidity
  creeps down a little while that purifier runs;
- someone cooks now and then: PM2.5 jumps at a purifier (the purifier's own model then cleans
  it away, faster the harder it runs);
- something moves now and then: in front of a camera, and at the Zigbee motion sensor (which
  clears a minute later);
- someone presses the wireless button now and then, and opens and closes the door.

Every kind of event first happens within 45 scenario seconds of the start, so a demo shows
its automations firing within a minute. Only firmware_sim's own scenario verbs
are used (``use_cases``, the bridge's ``press`` / ``motion`` ...): nothing here knows the hub.

::

    async with HouseLife(fleet, bridge, speed=60):
        ...
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from firmware_sim.fleet import Fleet, SimulatedDevice
from firmware_sim.mqtt.bridge import Zigbee2MqttBridge

_LOGGER = logging.getLogger(__name__)

DAY_S = 86400.0
TICK_S = 1.0
"""Real seconds between two looks at the clock (the climate is reported once a simulated
five minutes, at most once a tick)."""
CLIMATE_EVERY_S = 300.0
FIRST_WITHIN_S = 60.0


def day_temperature(hour: float) -> float:
    """Indoor temperature at ``hour`` (0-24): 19.5 degC at 05:00, 23.5 degC at 15:00."""
    return 21.5 - 2.0 * math.cos(2 * math.pi * (hour - 5.0) / 24.0)


def day_humidity(hour: float) -> float:
    """Relative humidity at ``hour``: highest before dawn, lowest in the afternoon."""
    return 50.0 + 8.0 * math.cos(2 * math.pi * (hour - 5.0) / 24.0)


@dataclass
class Habit:
    """Something that happens now and then: on average every ``mean_s`` scenario seconds."""

    name: str
    mean_s: float
    act: Callable[[], None]
    due: float = 0.0

    def schedule(self, now: float, rng: random.Random, first: bool = False) -> None:
        """The next time it happens; the first time within FIRST_WITHIN_S of the start."""
        if first:
            gap = rng.uniform(0.1, 0.75) * min(self.mean_s, FIRST_WITHIN_S)
        else:
            gap = rng.expovariate(1 / self.mean_s)
        self.due = now + max(1.0, gap)


class HouseLife:
    def __init__(
        self,
        fleet: Fleet,
        bridge: Zigbee2MqttBridge | None = None,
        speed: float = 1.0,
        start_hour: float | None = None,
        seed: int | None = None,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be above 0, not {speed}")
        self.speed = speed
        self.bridge = bridge
        self.rng = random.Random(seed)
        local = time.localtime()
        hour = local.tm_hour + local.tm_min / 60
        self.start_s = (hour if start_hour is None else start_hour) * 3600.0
        self.purifiers = [d for d in fleet.devices if ".airpurifier." in d.model]
        self.cameras = [d for d in fleet.devices if ".camera." in d.model]
        self.happened: dict[str, int] = {}
        """How often each habit has happened so far (its name -> count)."""
        self._began = 0.0
        self._last_climate = -CLIMATE_EVERY_S
        self._motion_clears: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._timers: set[asyncio.TimerHandle] = set()
        self.habits = [
            Habit("cooking", 20 * 60, self._cook),
            Habit("camera motion", 3 * 60, self._camera_motion),
        ]
        if bridge is not None:
            self.habits += [
                Habit("zigbee motion", 4 * 60, self._zigbee_motion),
                Habit("button", 5 * 60, self._press_button),
                Habit("door", 10 * 60, self._door),
            ]

    @property
    def now(self) -> float:
        """Scenario seconds since the start."""
        return (time.monotonic() - self._began) * self.speed

    @property
    def hour(self) -> float:
        return ((self.start_s + self.now) % DAY_S) / 3600.0

    async def __aenter__(self) -> HouseLife:
        self._began = time.monotonic()
        for habit in self.habits:
            habit.schedule(0.0, self.rng, first=True)
        self.step()  # the climate of the hour, reported before anyone else speaks
        self._task = asyncio.create_task(self._run(), name="firmware-sim-house-life")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)  # the scenario's own clock: this IS the behaviour
            self.step()

    def step(self) -> None:
        """Everything that is due at the scenario's current time."""
        now = self.now
        if now - self._last_climate >= CLIMATE_EVERY_S:
            self._last_climate = now
            self._climate()
        if self._motion_clears is not None and now >= self._motion_clears:
            self._motion_clears = None
            self._each_zigbee("RTCGQ11LM", lambda name: self._bridge.motion(name, False))
        for habit in self.habits:
            if now >= habit.due:
                habit.schedule(now, self.rng)
                try:
                    habit.act()
                except Exception:  # a simulator gone away: the rest of the home goes on
                    _LOGGER.exception("house life: %s failed", habit.name)
                    continue
                self.happened[habit.name] = self.happened.get(habit.name, 0) + 1

    # ---- what happens ---------------------------------------------------------------------

    def _climate(self) -> None:
        if self.bridge is None:
            return
        hour = self.hour
        drier = 3.0 if any(_running(p) for p in self.purifiers) else 0.0
        temperature = round(day_temperature(hour) + self.rng.uniform(-0.2, 0.2), 1)
        humidity = round(day_humidity(hour) - drier + self.rng.uniform(-0.5, 0.5), 1)
        self._each_zigbee(
            "WSDCGQ11LM",
            lambda name: self._bridge.set_temperature(name, temperature, humidity=humidity),
        )

    def _cook(self) -> None:
        if not self.purifiers:
            return
        # the first purifier stands by the kitchen: most cooking reaches it
        near = self.purifiers[0] if self.rng.random() < 0.7 else self.rng.choice(self.purifiers)
        near.use_cases.pm25_spike(self.rng.uniform(90.0, 200.0))

    def _camera_motion(self) -> None:
        for camera in self.cameras:
            if self.rng.random() < 0.6 or camera is self.cameras[0]:
                camera.use_cases.motion()

    def _zigbee_motion(self) -> None:
        lux = self.rng.randint(5, 400)
        self._each_zigbee("RTCGQ11LM", lambda name: self._bridge.motion(name, True, lux))
        self._motion_clears = self.now + 60.0

    def _press_button(self) -> None:
        self._each_zigbee("WXKG11LM", lambda name: self._bridge.press(name, "single"))

    def _door(self) -> None:
        self._each_zigbee("MCCGQ11LM", self._open_then_close)

    def _open_then_close(self, name: str) -> None:
        self._bridge.open_door(name)
        later = self.rng.uniform(5, 30) / self.speed
        self._timers.add(asyncio.get_running_loop().call_later(later, self._close, name))

    def _close(self, name: str) -> None:
        now = asyncio.get_running_loop().time()
        self._timers = {t for t in self._timers if t.when() > now}  # forget the ones run
        self._bridge.close_door(name)

    # ---- the Zigbee side ------------------------------------------------------------------

    @property
    def _bridge(self) -> Zigbee2MqttBridge:
        assert self.bridge is not None  # noqa: S101 - only called when there is a bridge
        return self.bridge

    def _each_zigbee(self, model: str, act: Callable[[str], None]) -> None:
        if self.bridge is None:
            return
        for device in list(self.bridge.devices.values()):
            if device.model.model == model and device.online:
                act(device.name)


def _running(device: SimulatedDevice) -> bool:
    """Whether a purifier's power is on (MIoT siid 2 piid 2 on the bundled models)."""
    try:
        return bool(device.get_property(2, 2))
    except (LookupError, ValueError):
        return False
