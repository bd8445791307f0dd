"""What every device family's behaviour provides: who it is, where it starts, how time moves
it, what a client's write sets off, and what its actions do."""

from __future__ import annotations

from typing import Any, ClassVar

from firmware_sim.models.state import DeviceState


class Behaviour:
    """The base: no time-driven change, no actions, writes are stored as they come."""

    manufacturer: ClassVar[str] = "Xiaomi"
    fw_ver: ClassVar[str] = "1.0.0_0001"
    hw_ver: ClassVar[str] = "esp32"
    power: ClassVar[tuple[int, int] | None] = None
    """The (siid, piid) of the on/off switch, for the "press the power button" use case."""
    initial: ClassVar[dict[tuple[int, int], Any]] = {}

    def __init__(self, state: DeviceState) -> None:
        self.state = state
        self.elapsed = 0.0
        """Simulated seconds this behaviour has run (the sum of every tick's ``dt``)."""

    def tick(self, dt: float) -> None:
        """Move the device ``dt`` simulated seconds forward."""
        self.elapsed += dt

    def written(self, siid: int, piid: int, value: Any) -> None:
        """A client set this property (already validated and stored): react like the device."""

    def action(self, siid: int, aiid: int, args: list[Any]) -> list[Any] | None:
        """Run an action; None when the firmware has no handler for it."""
        return None

    def press_power_button(self) -> None:
        if self.power is not None:
            self.state.set(*self.power, not self.state.get(*self.power))
