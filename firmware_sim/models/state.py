"""The data of one simulated device (pyatv's "State"): property values, and who hears about
changes. Behaviour, the miIO service and use cases all read and write through it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from firmware_sim.models.spec import ModelSpec

ChangeListener = Callable[[int, int, Any], None]
EventListener = Callable[[int, int, list[dict[str, Any]]], None]


class DeviceState:
    __slots__ = ("on_change", "on_event", "spec", "values")

    def __init__(self, spec: ModelSpec, initial: dict[tuple[int, int], Any]) -> None:
        self.spec = spec
        self.values: dict[tuple[int, int], Any] = dict(initial)
        self.on_change: list[ChangeListener] = []
        """Called for every change of a property whose spec access includes "notify"."""
        self.on_event: list[EventListener] = []

    def get(self, siid: int, piid: int) -> Any:
        return self.values.get((siid, piid))

    def set(self, siid: int, piid: int, value: Any) -> bool:
        """Store a value; tell listeners when it changed and the property notifies."""
        key = (siid, piid)
        old = self.values.get(key)
        if old == value and type(old) is type(value):
            return False
        self.values[key] = value
        prop = self.spec.props.get(key)
        if prop is not None and prop.notifies:
            for listener in self.on_change:
                listener(siid, piid, value)
        return True

    def emit(self, siid: int, eiid: int, arguments: list[dict[str, Any]] | None = None) -> None:
        """An event happened (``arguments``: ``[{"piid": .., "value": ..}]``)."""
        for listener in self.on_event:
            listener(siid, eiid, arguments or [])
