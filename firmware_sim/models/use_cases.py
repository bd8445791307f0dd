"""Scenario verbs a test or a demo plays on a device (pyatv's "UseCases"): things that happen
in the room or to the device, as opposed to what a client asks over the wire."""

from __future__ import annotations

from firmware_sim.models.air_purifier import AirPurifier
from firmware_sim.models.behaviour import Behaviour
from firmware_sim.models.camera import Camera


class UseCases:
    __slots__ = ("behaviour",)

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour

    def press_power_button(self) -> None:
        """Someone presses the button on the device: on becomes off and back."""
        self.behaviour.press_power_button()

    def motion(self) -> bool:
        """Something moves in front of a camera; True when the camera recorded it (awake and
        with motion recording or detection on); always False on devices without a lens."""
        behaviour = self.behaviour
        return behaviour.motion() if isinstance(behaviour, Camera) else False

    def pm25_spike(self, value: float = 180.0) -> None:
        """Someone burns toast next to an air purifier: PM2.5 jumps to ``value``."""
        self._purifier("pm25_spike").pm25_spike(value)

    def motor_stuck(self) -> None:
        """An air purifier's motor jams: fault code, device-fault event (MIoT), fan stopped."""
        self._purifier("motor_stuck").motor_stuck()

    def clear_fault(self) -> None:
        self._purifier("clear_fault").clear_fault()

    def replace_filter(self) -> None:
        self._purifier("replace_filter").replace_filter()

    def _purifier(self, verb: str) -> AirPurifier:
        if not isinstance(self.behaviour, AirPurifier):
            raise TypeError(f"{verb} needs an air purifier, not {type(self.behaviour).__name__}")
        return self.behaviour
