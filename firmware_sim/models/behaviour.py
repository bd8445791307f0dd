"""What every device family's behaviour provides: who it is, how time moves it, what a
client's write sets off, and what its actions do. Behaviour speaks feature names through
:class:`~firmware_sim.models.props.Props`, so one class serves every model of a family in
either dialect; what differs per model is table data."""

from __future__ import annotations

from typing import Any, ClassVar

from firmware_sim.models.props import Props


class Behaviour:
    """The base: no time-driven change, writes are stored as they come."""

    manufacturer: ClassVar[str] = "Xiaomi"
    fw_ver: ClassVar[str] = "1.0.0_0001"
    hw_ver: ClassVar[str] = "esp32"
    initial: ClassVar[dict[str, Any]] = {}
    """Feature values this family starts with where the model has them (MIoT; legacy tables
    carry their own first values)."""

    def __init__(self, props: Props) -> None:
        self.props = props
        self.state = props.state
        self.elapsed = 0.0
        """Simulated seconds this behaviour has run (the sum of every tick's ``dt``)."""

    def tick(self, dt: float) -> None:
        """Move the device ``dt`` simulated seconds forward."""
        self.elapsed += dt

    def written(self, feature: str | None, value: Any) -> None:
        """A client set this feature (already validated and stored): react like the device."""

    def action(self, feature: str) -> bool:
        """Run an action named by its feature; False when this family has no handler."""
        if feature == "toggle":
            self.press_power_button()
            return True
        return feature in {"reset_filter", "filters_cleaned", "alarm"}

    def press_power_button(self) -> None:
        if self.props.has("power"):
            self.props.set("power", not self.props.get("power"))
            self.written("power", self.props.get("power"))
