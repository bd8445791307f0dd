"""The normalized device shape: every protocol's devices look like this above ``hub/devices``.

Nothing above this package knows a siid, a piid or an MQTT topic; it knows a device id and
the ids of that device's features.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hub.errors import DeviceError, InvalidValue

Value = bool | int | float | str | None


class FeatureKind(StrEnum):
    SWITCH = "switch"
    NUMBER = "number"
    CHOICE = "choice"
    SENSOR = "sensor"
    BINARY_SENSOR = "binary_sensor"
    ACTION = "action"
    EVENT = "event"
    IMAGE = "image"
    TEXT = "text"


class FeatureCategory(StrEnum):
    """Where a feature belongs on a screen (python-kasa's categories, Home Assistant's entity
    categories): what a tile shows, everyday controls, set-once settings, diagnostics."""

    PRIMARY = "primary"
    CONTROL = "control"
    CONFIG = "config"
    DIAGNOSTIC = "diagnostic"


class Availability(StrEnum):
    UNKNOWN = "unknown"
    ONLINE = "online"
    OFFLINE = "offline"


class AvailabilityProblem(StrEnum):
    """Why an offline device cannot be used: it does not answer, or it answers but rejects
    the hub's token (re-paired since). Only a person fixes the second."""

    NO_ANSWER = "no_answer"
    TOKEN_REJECTED = "token_rejected"  # noqa: S105 - a kind of problem, not a secret


class Protocol(StrEnum):
    MIIO = "miio"
    ZIGBEE2MQTT = "zigbee2mqtt"
    MQTT = "mqtt"
    PEER = "peer"
    """Imported from another mihub hub on the same broker (hub.devices.mqtt.peers)."""


@dataclass(frozen=True, slots=True)
class Feature:
    """One capability of a device: a value it reports, a setting, an action or an event."""

    id: str
    kind: FeatureKind
    name: str = ""
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    readable: bool = True
    writable: bool = False
    category: FeatureCategory = FeatureCategory.CONTROL

    def validate(self, value: Any) -> Value:
        """Return ``value`` in this feature's type, or raise :class:`InvalidValue`.

        The error names the feature and the values it allows, so a user can fix the request.
        """
        if not self.writable:
            raise InvalidValue(f"feature '{self.id}' is read-only")
        kind = self.kind
        if kind is FeatureKind.SWITCH:
            if isinstance(value, bool):
                return value
            raise InvalidValue(f"feature '{self.id}' takes true or false, got {value!r}")
        if kind is FeatureKind.CHOICE:
            if isinstance(value, str) and value in self.choices:
                return value
            allowed = ", ".join(self.choices)
            raise InvalidValue(f"feature '{self.id}' takes one of: {allowed}; got {value!r}")
        if kind is FeatureKind.NUMBER:
            return self._validate_number(value)
        if kind is FeatureKind.TEXT:
            if isinstance(value, str):
                return value
            raise InvalidValue(f"feature '{self.id}' takes text, got {value!r}")
        raise InvalidValue(f"feature '{self.id}' ({kind}) cannot be set")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Feature:
        return cls(
            id=data["id"],
            kind=FeatureKind(data["kind"]),
            name=data.get("name", ""),
            unit=data.get("unit"),
            minimum=data.get("min"),
            maximum=data.get("max"),
            step=data.get("step"),
            choices=tuple(data.get("choices", ())),
            readable=data.get("readable", True),
            writable=data.get("writable", False),
            category=FeatureCategory(data.get("category", FeatureCategory.CONTROL)),
        )

    def _validate_number(self, value: Any) -> int | float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise InvalidValue(f"feature '{self.id}' takes a number{self._range_text()}")
        if (self.minimum is not None and value < self.minimum) or (
            self.maximum is not None and value > self.maximum
        ):
            raise InvalidValue(
                f"feature '{self.id}' takes a number{self._range_text()}; got {value}"
            )
        if self.step and self.step >= 1 and float(value).is_integer():
            return int(value)
        if self.step and self.step >= 1:
            raise InvalidValue(f"feature '{self.id}' takes whole numbers{self._range_text()}")
        return value

    def _range_text(self) -> str:
        if self.minimum is None and self.maximum is None:
            return ""
        unit = f" {self.unit}" if self.unit else ""
        return f" from {_num(self.minimum)} to {_num(self.maximum)}{unit}"

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "kind": str(self.kind), "name": self.name or self.id}
        if self.unit:
            data["unit"] = self.unit
        if self.minimum is not None:
            data["min"] = self.minimum
        if self.maximum is not None:
            data["max"] = self.maximum
        if self.step is not None:
            data["step"] = self.step
        if self.choices:
            data["choices"] = list(self.choices)
        data["readable"] = self.readable
        data["writable"] = self.writable
        data["category"] = str(self.category)
        return data


def _num(x: float | None) -> str:
    if x is None:
        return "?"
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass(slots=True)
class FeatureState:
    value: Value
    changed_at: float
    stale: bool = False


@dataclass(slots=True)
class Device:
    """A device in the home, whatever protocol it speaks.

    ``id`` is stable across restarts and address changes (``miio-<did>``, ``zigbee-<ieee>``).
    """

    id: str
    name: str
    model: str
    protocol: Protocol
    manufacturer: str = ""
    room: str | None = None
    features: dict[str, Feature] = field(default_factory=dict)
    state: dict[str, FeatureState] = field(default_factory=dict)
    availability: Availability = Availability.UNKNOWN
    availability_since: float | None = None
    """When the hub last saw ``availability`` change (None: not since the hub started)."""
    availability_reason: str = ""
    """Why it is offline, in the protocol's words ("... not with our token"); "" when online."""
    availability_problem: AvailabilityProblem | None = None
    """The kind of ``availability_reason`` (None when not offline)."""
    endpoint: dict[str, Any] = field(default_factory=dict)
    """Where the protocol layer finds the device (host and did, a topic...); never a secret."""
    hub: str | None = None
    """The id of the mihub hub that owns it, when another hub does (None: this hub)."""

    def feature(self, feature_id: str) -> Feature:
        try:
            return self.features[feature_id]
        except KeyError:
            known = ", ".join(sorted(self.features)) or "none"
            raise InvalidValue(
                f"device '{self.id}' has no feature '{feature_id}'; it has: {known}"
            ) from None

    def value(self, feature_id: str) -> Value:
        state = self.state.get(feature_id)
        return None if state is None else state.value

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "model": self.model,
            "manufacturer": self.manufacturer,
            "protocol": str(self.protocol),
            "room": self.room,
            "hub": self.hub,
            "availability": str(self.availability),
            "availability_since": self.availability_since,
            "availability_reason": self.availability_reason,
            "availability_problem": self.availability_problem,
            "features": [f.as_dict() for f in self.features.values()],
            "state": {
                k: {"value": s.value, "changed_at": s.changed_at, "stale": s.stale}
                for k, s in self.state.items()
            },
        }


class CommandStatus(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    CONFIRMED = "confirmed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class CommandResult:
    device_id: str
    feature: str
    status: CommandStatus
    value: Any = None
    error: str | None = None
    cause: DeviceError | None = None
    """Why it failed, as the hub's own error (the API answers with its status)."""
