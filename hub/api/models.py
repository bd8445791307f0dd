"""The API's answers as pydantic models (devices, pairing, system): they exist for the OpenAPI
document and the tests that hold the answers to it; the handlers build plain dicts of the same
shape (scenes and automations keep their answer models next to their routes)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.devices.model import Availability, AvailabilityProblem, FeatureCategory, FeatureKind
from hub.devices.model import Protocol as DeviceProtocol

Value = bool | int | float | str | None


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)  # built for the OpenAPI only


class ErrorDetail(_Out):
    code: str = Field(description="machine-readable reason, e.g. invalid_value")
    message: str = Field(description="what is wrong, for a person")
    field: str | None = Field(description="the part of the request at fault (body field, "
                              "path or query parameter, header), when there is one")  # fmt: skip


class ErrorBody(_Out):
    error: ErrorDetail


class FeatureOut(_Out):
    id: str
    kind: FeatureKind
    name: str
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    step: float | None = None
    choices: list[str] | None = None
    readable: bool
    writable: bool
    category: FeatureCategory = Field(
        FeatureCategory.CONTROL,
        description="primary (what a tile shows), control, config (set once), diagnostic",
    )


class FeatureStateOut(_Out):
    value: Value
    changed_at: float
    stale: bool = Field(description="remembered from before a restart, not yet refreshed")


class DeviceOut(_Out):
    id: str
    name: str
    model: str
    manufacturer: str
    protocol: DeviceProtocol
    room: str | None
    hub: str | None = Field(
        None,
        description="the mihub hub that owns the device, when another hub on the MQTT "
        "broker does (mqtt.peers); null: this hub",
    )
    availability: Availability
    availability_since: float | None = Field(
        description="when the hub saw the availability change; null: not since it started"
    )
    availability_reason: str = Field(
        description="why the device is offline, e.g. a token the device rejects; empty online"
    )
    availability_problem: AvailabilityProblem | None = Field(
        None,
        description="what kind of problem keeps it offline: no_answer, or token_rejected "
        "(re-paired: give the hub its new token); null when not offline",
    )
    features: list[FeatureOut]
    state: dict[str, FeatureStateOut]


class DeviceList(_Out):
    devices: list[DeviceOut]


class RoomOut(_Out):
    name: str
    devices: list[str]


class RoomList(_Out):
    rooms: list[RoomOut]
    unassigned: list[str] = Field(description="devices in no room")


class CommandOut(_Out):
    device: str
    feature: str | None = None
    action: str | None = None
    value: Value = None
    status: Literal["acknowledged", "confirmed"] = Field(
        description="acknowledged: the device accepted it; confirmed: its own state report agrees"
    )
    output: dict[str, Any] | None = Field(None, description="what an action returned")


class Health(_Out):
    status: Literal["ok"]


class VersionOut(_Out):
    name: str
    version: str
    api: int


class Stats(_Out):
    devices: int
    devices_online: int
    events: int
    events_per_second: float = Field(description="bus events per second, last minute")
    automations: int
    automation_runs: int
    websocket_clients: int
    websocket_dropped: int
    websocket_sent: int
    idempotency_keys: int
    uptime: float
    counters: dict[str, float]


class ReloadChanges(_Out):
    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: int


class ReloadOut(_Out):
    scenes: ReloadChanges = Field(description="config.yaml's scenes")
    automations: ReloadChanges = Field(description="config.yaml's automations")
    devices: ReloadChanges = Field(
        description="miio.devices, by address; a removed one stays known from the store"
    )
    rooms: ReloadChanges = Field(description="config.yaml's rooms, applied at once")
    mqtt: Literal["unchanged", "reconnected", "started", "stopped"] = Field(
        description="the MQTT part alone reconnects when its section changed"
    )
    restart_needed: list[str] = Field(
        description="changed sections a running hub cannot take; they apply at the next start"
    )


class Paired(_Out):
    token: str = Field(description="shown this once: keep it (the hub keeps only its hash)")
    id: str
    name: str
    scopes: list[Literal["read", "control", "admin"]]


class TokenOut(_Out):
    id: str
    name: str
    scopes: list[Literal["read", "control", "admin"]]
    created: float
    last_used: float | None


class TokenList(_Out):
    tokens: list[TokenOut]


class SessionOut(_Out):
    id: str
    name: str
    scopes: list[Literal["read", "control", "admin"]]


class PairingCodeOut(_Out):
    code: str = Field(description="one-time, valid `expires_in` seconds")
    expires_in: float
    url: str
