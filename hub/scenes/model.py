"""Scenes and automations as data: pydantic models with discriminated unions, never eval.

Triggers, conditions and actions name device ids and Feature ids, never a siid or a topic
(except the explicit MQTT trigger and action).
"""

from __future__ import annotations

import re
from collections.abc import Container
from datetime import time as clock_time
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from hub.errors import ConfigError, HubError, InvalidValue

Scalar = bool | int | float | str


def _seconds(value: Any) -> Any:
    """Durations as seconds (``90``), ``"HH:MM:SS"`` / ``"MM:SS"``, or ``{minutes: 1, ...}``."""
    if isinstance(value, str) and ":" in value:
        sign = -1 if value.startswith("-") else 1
        try:
            parts = [float(p) for p in value.lstrip("+-").split(":")]
        except ValueError:
            return value  # pydantic reports it as not a number
        if len(parts) > 3:
            return value
        total = 0.0
        for part in parts:
            total = total * 60 + part
        return sign * total
    if isinstance(value, dict):
        units = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1, "milliseconds": 0.001}
        if value and set(value) <= set(units):
            return sum(float(v) * units[k] for k, v in value.items())
    return value


Duration = Annotated[float, BeforeValidator(_seconds)]
"""Seconds; YAML may say ``90``, ``"00:01:30"`` or ``{minutes: 1, seconds: 30}``."""


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- triggers -------------------------------------------------------------------------------


class _Trigger(_Data):
    id: str | None = Field(None, min_length=1, max_length=64)
    """Names the trigger for conditions and templates (``trigger.id``); else its position."""


class StateTrigger(_Trigger):
    platform: Literal["state"]
    device: str
    feature: str
    to: Scalar | None = None
    from_: Scalar | None = Field(None, alias="from")
    above: float | None = None
    below: float | None = None
    for_: Duration | None = Field(None, alias="for", ge=0, description="how long it holds")


class EventTrigger(_Trigger):
    platform: Literal["event"]
    device: str
    event: str
    data: dict[str, Scalar] = {}


class AvailabilityTrigger(_Trigger):
    platform: Literal["availability"]
    device: str
    to: Literal["online", "offline"]


class TimeTrigger(_Trigger):
    platform: Literal["time"]
    at: clock_time


class CronTrigger(_Trigger):
    platform: Literal["cron"]
    cron: str

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, value: str) -> str:
        from hub.scenes.schedule import CronSpec

        CronSpec.parse(value)
        return value


class SunTrigger(_Trigger):
    platform: Literal["sun"]
    event: Literal["sunrise", "sunset"]
    offset: Duration = Field(0, description="seconds; negative is before")


class MqttTrigger(_Trigger):
    platform: Literal["mqtt"]
    topic: str = Field(min_length=1)
    payload: Scalar | None = None
    """Match the exact payload text, or with ``value_path`` the JSON field's value."""
    value_path: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")


class WebhookTrigger(_Trigger):
    platform: Literal["webhook"]
    webhook_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")


class StartTrigger(_Trigger):
    platform: Literal["start"]


Trigger = Annotated[
    StateTrigger | EventTrigger | AvailabilityTrigger | TimeTrigger | CronTrigger | SunTrigger
    | MqttTrigger | WebhookTrigger | StartTrigger,
    Field(discriminator="platform"),
]  # fmt: skip

# ---- conditions -----------------------------------------------------------------------------


class StateCondition(_Data):
    condition: Literal["state"]
    device: str
    feature: str
    state: Scalar | list[Scalar]


class NumericCondition(_Data):
    condition: Literal["numeric"]
    device: str
    feature: str
    above: float | None = None
    below: float | None = None


class TimeCondition(_Data):
    condition: Literal["time"]
    after: clock_time | None = None
    before: clock_time | None = None
    weekdays: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = []


class SunCondition(_Data):
    condition: Literal["sun"]
    after: Literal["sunrise", "sunset"] | None = None
    before: Literal["sunrise", "sunset"] | None = None
    after_offset: Duration = 0
    before_offset: Duration = 0


class AvailableCondition(_Data):
    condition: Literal["available"]
    device: str
    online: bool = True


class TriggerCondition(_Data):
    """A value in the trigger's data, by path as in templates: ``payload_json.value``,
    ``data.action``, ``value``. Without ``state`` / ``above`` / ``below``: the path exists."""

    condition: Literal["trigger"]
    path: str = Field(pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
    state: Scalar | list[Scalar] | None = None
    above: float | None = None
    below: float | None = None


class AndCondition(_Data):
    condition: Literal["and"]
    conditions: list[Condition]


class OrCondition(_Data):
    condition: Literal["or"]
    conditions: list[Condition]


class NotCondition(_Data):
    condition: Literal["not"]
    conditions: list[Condition]


Condition = Annotated[
    StateCondition | NumericCondition | TimeCondition | SunCondition | AvailableCondition
    | TriggerCondition | AndCondition | OrCondition | NotCondition,
    Field(discriminator="condition"),
]  # fmt: skip

# ---- actions --------------------------------------------------------------------------------


class SetAction(_Data):
    action: Literal["set"]
    device: str
    feature: str
    value: Scalar


class CallAction(_Data):
    action: Literal["call"]
    device: str
    feature: str
    args: dict[str, Scalar] = {}


class SceneAction(_Data):
    action: Literal["scene"]
    scene: str


class DelayAction(_Data):
    action: Literal["delay"]
    seconds: Duration = Field(ge=0)


class WaitAction(_Data):
    action: Literal["wait"]
    trigger: list[Trigger]
    timeout: Duration = Field(gt=0)
    continue_on_timeout: bool = True


class PublishAction(_Data):
    action: Literal["publish"]
    topic: str
    payload: str = ""
    qos: Literal[0, 1, 2] = 0
    retain: bool = False


class EnableAction(_Data):
    action: Literal["enable", "disable"]
    automation: str


class NotifyAction(_Data):
    action: Literal["notify"]
    title: str = "mihub"
    message: str


class ChooseOption(_Data):
    conditions: list[Condition]
    sequence: list[Action]


class ChooseAction(_Data):
    action: Literal["choose"]
    choices: list[ChooseOption]
    default: list[Action] = []


class RepeatAction(_Data):
    action: Literal["repeat"]
    sequence: list[Action]
    count: int | None = Field(None, ge=0, le=10_000)
    while_: list[Condition] | None = Field(None, alias="while")
    until: list[Condition] | None = None
    max_iterations: int = Field(1000, ge=1)


class StopAction(_Data):
    action: Literal["stop"]
    reason: str = ""


Action = Annotated[
    SetAction | CallAction | SceneAction | DelayAction | WaitAction | PublishAction
    | EnableAction | NotifyAction | ChooseAction | RepeatAction | StopAction,
    Field(discriminator="action"),
]  # fmt: skip

# ---- automations and scenes -----------------------------------------------------------------


class RunMode(StrEnum):
    SINGLE = "single"
    RESTART = "restart"
    QUEUED = "queued"
    PARALLEL = "parallel"


class Automation(_Data):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    alias: str = ""
    description: str = ""
    enabled: bool = True
    mode: RunMode = RunMode.SINGLE
    max: int = Field(10, ge=1, le=1000)
    trigger: list[Trigger] = Field(min_length=1)
    condition: list[Condition] = []
    action: list[Action] = Field(min_length=1)


class SceneTarget(_Data):
    device: str
    feature: str
    value: Scalar


class Scene(_Data):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    name: str = Field(min_length=1)
    targets: list[SceneTarget] = Field(min_length=1)


class SceneSnapshot(_Data):
    """A scene to create from the current values of chosen devices (API body)."""

    id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    name: str = Field(min_length=1)
    devices: list[str] = Field(min_length=1)
    features: list[str] | None = None
    """Only these feature ids (of each device); every writable one when omitted."""


class InvalidDefinition(ConfigError, InvalidValue):
    """A scene or automation failed validation: a config error in YAML, a 422 over the API.

    The message has one line per problem, each naming the automation (alias or id) and the
    field; ``problems`` holds the same as data: ``{"field": "action.0.value", "message": ..}``.
    """

    def __init__(self, message: str, problems: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.problems = problems


def new_id(name: str, taken: Container[str], fallback: str) -> str:
    """An id made from a name ("Movie night!" -> "movie-night"), unique among ``taken``."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:56] or fallback
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


class DuplicateId(HubError):
    """A scene or automation with this id exists already (the API answers 409)."""


class AutomationStatus(BaseModel):
    """One automation as the phone's list shows it."""

    id: str
    alias: str
    enabled: bool
    mode: RunMode
    source: Literal["config", "api"]
    """config.yaml automations are read-only over the API (enable/disable still works)."""
    running: int
    last_triggered: float | None = None
    last_result: str | None = None


def parse_automation(data: Any, where: str = "automation") -> Automation:
    """Validate one automation; errors name it (id or alias) and the field."""
    try:
        return Automation.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc, data, where) from exc


def parse_scene(data: Any, where: str = "scene") -> Scene:
    try:
        return Scene.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc, data, where) from exc


def _invalid(exc: ValidationError, data: Any, where: str) -> InvalidDefinition:
    name = "'?'"
    if isinstance(data, dict):
        label, key = data.get("alias") or data.get("name"), data.get("id")
        if label and key and label != key:
            name = f"'{label}' ({key})"
        elif label or key:
            name = f"'{label or key}'"
    problems: list[dict[str, str]] = []
    for error in exc.errors():
        parts: list[str] = []
        previous: object = None
        for part in error["loc"]:
            # pydantic names the union member after a list index ("action.0.set.value"):
            # users wrote "action.0.value", so drop the member's tag.
            if not (isinstance(previous, int) and part in _TAGS):
                parts.append(str(part))
            previous = part
        problems.append({"field": ".".join(parts) or "(top level)", "message": error["msg"]})
    lines = [f"{where} {name}: {p['field']}: {p['message']}" for p in problems]
    return InvalidDefinition("\n".join(lines), problems)


_TAGS = {
    "state", "event", "availability", "time", "cron", "sun", "mqtt", "webhook", "start",
    "numeric", "available", "trigger", "and", "or", "not", "set", "call", "scene", "delay", "wait",
    "publish", "enable", "disable", "notify", "choose", "repeat", "stop",
}  # fmt: skip

for _model in (AndCondition, OrCondition, NotCondition, ChooseOption, ChooseAction,
               RepeatAction, WaitAction, Automation):  # fmt: skip
    _model.model_rebuild()
