"""Scenes and automations as data: pydantic models with discriminated unions, never eval.

Triggers, conditions and actions name device ids and Feature ids, never a siid or a topic
(except the explicit MQTT trigger and action).
"""

from __future__ import annotations

from datetime import time as clock_time
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hub.errors import ConfigError

Scalar = bool | int | float | str


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- triggers -------------------------------------------------------------------------------


class StateTrigger(_Data):
    platform: Literal["state"]
    device: str
    feature: str
    to: Scalar | None = None
    from_: Scalar | None = Field(None, alias="from")
    above: float | None = None
    below: float | None = None
    for_: float | None = Field(None, alias="for", ge=0, description="seconds the state holds")


class EventTrigger(_Data):
    platform: Literal["event"]
    device: str
    event: str
    data: dict[str, Scalar] = {}


class AvailabilityTrigger(_Data):
    platform: Literal["availability"]
    device: str
    to: Literal["online", "offline"]


class TimeTrigger(_Data):
    platform: Literal["time"]
    at: clock_time


class CronTrigger(_Data):
    platform: Literal["cron"]
    cron: str

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, value: str) -> str:
        from hub.scenes.schedule import CronSpec

        CronSpec.parse(value)
        return value


class SunTrigger(_Data):
    platform: Literal["sun"]
    event: Literal["sunrise", "sunset"]
    offset: float = Field(0, description="seconds; negative is before")


class MqttTrigger(_Data):
    platform: Literal["mqtt"]
    topic: str
    payload: str | None = None
    """Match the exact payload, or with ``value_path`` the JSON field's value."""
    value_path: str | None = None


class WebhookTrigger(_Data):
    platform: Literal["webhook"]
    webhook_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")


class StartTrigger(_Data):
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
    after_offset: float = 0
    before_offset: float = 0


class AvailableCondition(_Data):
    condition: Literal["available"]
    device: str
    online: bool = True


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
    | AndCondition | OrCondition | NotCondition,
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
    seconds: float = Field(ge=0)


class WaitAction(_Data):
    action: Literal["wait"]
    trigger: list[Trigger]
    timeout: float = Field(gt=0)
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
    name: str
    targets: list[SceneTarget] = Field(min_length=1)


def parse_automation(data: Any, where: str = "automation") -> Automation:
    """Validate one automation; errors name it (id or alias) and the field."""
    try:
        return Automation.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, data, where)) from exc


def parse_scene(data: Any, where: str = "scene") -> Scene:
    try:
        return Scene.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, data, where)) from exc


def _describe(exc: ValidationError, data: Any, where: str) -> str:
    name = "?"
    if isinstance(data, dict):
        name = str(data.get("alias") or data.get("id") or data.get("name") or "?")
    lines = []
    for error in exc.errors():
        parts: list[str] = []
        previous: object = None
        for part in error["loc"]:
            # pydantic names the union member after a list index ("action.0.set.value"):
            # users wrote "action.0.value", so drop the member's tag.
            if not (isinstance(previous, int) and part in _TAGS):
                parts.append(str(part))
            previous = part
        lines.append(f"{where} '{name}': {'.'.join(parts) or '(top level)'}: {error['msg']}")
    return "\n".join(lines)


_TAGS = {
    "state", "event", "availability", "time", "cron", "sun", "mqtt", "webhook", "start",
    "numeric", "available", "and", "or", "not", "set", "call", "scene", "delay", "wait",
    "publish", "enable", "disable", "notify", "choose", "repeat", "stop",
}  # fmt: skip

for _model in (AndCondition, OrCondition, NotCondition, ChooseOption, ChooseAction,
               RepeatAction, WaitAction, Automation):  # fmt: skip
    _model.model_rebuild()
