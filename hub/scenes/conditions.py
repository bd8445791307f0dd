"""Conditions: evaluated against the registry and the clock; each leaves what it saw."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from hub.devices.model import Availability
from hub.devices.registry import DeviceRegistry
from hub.scenes.model import (
    AndCondition,
    AvailableCondition,
    Condition,
    NotCondition,
    NumericCondition,
    OrCondition,
    StateCondition,
    SunCondition,
    TimeCondition,
    TriggerCondition,
)
from hub.scenes.schedule import Location
from hub.scenes.template import lookup
from hub.scenes.triggers import same

Data = dict[str, Any] | None
_paths: dict[str, tuple[str, ...]] = {}

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ConditionChecker:
    def __init__(
        self, registry: DeviceRegistry, location: Location, now: Callable[[], dt.datetime]
    ) -> None:
        self.registry = registry
        self.location = location
        self.now = now

    def all(
        self, conditions: list[Condition], trace: list[dict[str, Any]], data: Data = None
    ) -> bool:
        """True when every condition holds; stops at the first that does not. ``data`` is
        the run's trigger data (for ``trigger`` conditions)."""
        return all(self.check(condition, trace, data) for condition in conditions)

    def check(self, condition: Condition, trace: list[dict[str, Any]], data: Data = None) -> bool:
        entry: dict[str, Any] = {"condition": condition.condition}
        trace.append(entry)
        result = self._check(condition, entry, data)
        entry["result"] = result
        return result

    def _value(self, device_id: str, feature: str, entry: dict[str, Any]) -> Any:
        device = self.registry.find(device_id)
        value = None if device is None else device.value(feature)
        entry.update(device=device_id, feature=feature, saw=value)
        return value

    def _check(self, condition: Condition, entry: dict[str, Any], data: Data) -> bool:
        if isinstance(condition, StateCondition):
            value = self._value(condition.device, condition.feature, entry)
            wanted = condition.state if isinstance(condition.state, list) else [condition.state]
            return any(same(value, w) for w in wanted)
        if isinstance(condition, NumericCondition):
            value = self._value(condition.device, condition.feature, entry)
            if isinstance(value, bool) or not isinstance(value, int | float):
                return False
            above_ok = condition.above is None or value > condition.above
            return above_ok and (condition.below is None or value < condition.below)
        if isinstance(condition, TriggerCondition):
            return self._trigger(condition, entry, data)
        if isinstance(condition, AvailableCondition):
            device = self.registry.find(condition.device)
            online = device is not None and device.availability is Availability.ONLINE
            entry.update(device=condition.device, saw="online" if online else "not online")
            return online is condition.online
        if isinstance(condition, TimeCondition):
            return self._time(condition, entry)
        if isinstance(condition, SunCondition):
            return self._sun(condition, entry)
        nested: list[dict[str, Any]] = []
        entry["conditions"] = nested
        if isinstance(condition, AndCondition):
            return all(self.check(c, nested, data) for c in condition.conditions)
        if isinstance(condition, OrCondition):
            return any(self.check(c, nested, data) for c in condition.conditions)
        if isinstance(condition, NotCondition):
            return not any(self.check(c, nested, data) for c in condition.conditions)
        raise TypeError(f"unknown condition {condition!r}")

    @staticmethod
    def _trigger(condition: TriggerCondition, entry: dict[str, Any], data: Data) -> bool:
        path = _paths.get(condition.path)
        if path is None:
            path = _paths[condition.path] = tuple(condition.path.split("."))
        found, value = lookup(data or {}, path)
        entry["path"] = condition.path
        entry["saw"] = value
        if not found:
            return False
        wanted = condition.state
        if wanted is not None:
            if isinstance(wanted, list):
                if not any(same(value, w) for w in wanted):
                    return False
            elif not same(value, wanted):
                return False
        if condition.above is not None or condition.below is not None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return False
            if condition.above is not None and not value > condition.above:
                return False
            if condition.below is not None and not value < condition.below:
                return False
        return True

    def _time(self, condition: TimeCondition, entry: dict[str, Any]) -> bool:
        now = self.now()
        entry["saw"] = now.strftime("%a %H:%M:%S")
        if condition.weekdays and WEEKDAYS[now.weekday()] not in condition.weekdays:
            return False
        current = now.time()
        after, before = condition.after, condition.before
        if after is not None and before is not None and after > before:  # across midnight
            return current >= after or current < before
        return (after is None or current >= after) and (before is None or current < before)

    def _sun(self, condition: SunCondition, entry: dict[str, Any]) -> bool:
        """After / before today's sunrise or sunset (with offsets). "After sunset, before
        sunrise" is the night: after this evening's sunset or before this morning's sunrise."""
        now = self.now().astimezone(self.location.zone)
        entry["saw"] = now.isoformat(timespec="seconds")
        try:
            after = before = None
            if condition.after is not None:
                after = self.location.sun_event(condition.after, now.date()) + dt.timedelta(
                    seconds=condition.after_offset
                )
            if condition.before is not None:
                before = self.location.sun_event(condition.before, now.date()) + dt.timedelta(
                    seconds=condition.before_offset
                )
        except ValueError:  # no sunrise/sunset today at this latitude
            return False
        if after is not None and before is not None and after > before:
            return now >= after or now < before
        return (after is None or now >= after) and (before is None or now < before)
