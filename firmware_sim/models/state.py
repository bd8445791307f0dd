"""The data of one simulated device (pyatv's "State"): property values, and who hears about
changes. Behaviour, the miIO service and use cases all read and write through it.

Keys are what the dialect names a property by: ``(siid, piid)`` for MIoT, the wire name
(``"power"``, ``"temp_dec"``) for legacy miIO.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

ChangeListener = Callable[[Hashable, Any], None]
EventListener = Callable[[int, int, list[dict[str, Any]]], None]


class DeviceState:
    __slots__ = ("notifies", "on_change", "on_event", "values")

    def __init__(
        self, initial: dict[Hashable, Any], notifies: Callable[[Hashable], bool] | None = None
    ) -> None:
        self.values: dict[Hashable, Any] = dict(initial)
        self.notifies = notifies or (lambda key: False)
        """Whether a change of this key is reported to listeners (MIoT: access "notify")."""
        self.on_change: list[ChangeListener] = []
        self.on_event: list[EventListener] = []

    def get(self, key: Hashable) -> Any:
        return self.values.get(key)

    def set(self, key: Hashable, value: Any) -> bool:
        """Store a value; tell listeners when it changed and the property notifies."""
        old = self.values.get(key)
        if old == value and type(old) is type(value):
            return False
        self.values[key] = value
        if self.on_change and self.notifies(key):
            for listener in self.on_change:
                listener(key, value)
        return True

    def emit(self, siid: int, eiid: int, arguments: list[dict[str, Any]] | None = None) -> None:
        """A MIoT event happened (``arguments``: ``[{"piid": .., "value": ..}]``)."""
        for listener in self.on_event:
            listener(siid, eiid, arguments or [])
