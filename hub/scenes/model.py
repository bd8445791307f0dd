"""Scenes and automations as data: pydantic models with discriminated unions, never eval.

Triggers, conditions and actions name device ids and Feature ids, never a siid or a topic
(except the explicit MQTT trigger and action).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import time as clock_time
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from hub.errors import ConfigError, HubError, InvalidValue
from hub.scenes.fields import (
    DEFAULT_MAX_ITERATIONS,
    MAX_ITEMS,
    MAX_NAME,
    MAX_NESTING,
    MAX_TARGETS,
    Duration,
    Identifier,
    Name,
    Number,
    Offset,
    PublishTopic,
    Reference,
    RepeatCount,
    Scalar,
    Text,
    TopicFilter,
    not_too_deep,
)


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


Items = Field(max_length=MAX_ITEMS)
"""At most this many triggers, conditions or actions in one list."""
Path = Annotated[str, Field(max_length=200, pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")]
ScalarList = Annotated[list[Scalar], Field(max_length=MAX_ITEMS)]
ScalarData = Annotated[dict[Reference, Scalar], Field(max_length=100)]

# ---- triggers -------------------------------------------------------------------------------


class _Trigger(_Data):
    id: Name | None = Field(None, min_length=1, max_length=64)
    """Names the trigger for conditions and templates (``trigger.id``); else its position."""


class StateTrigger(_Trigger):
    platform: Literal["state"]
    device: Reference
    feature: Reference
    to: Scalar | None = None
    from_: Scalar | None = Field(None, alias="from")
    above: Number | None = None
    below: Number | None = None
    for_: Duration | None = Field(None, alias="for", ge=0, description="how long it holds")


class EventTrigger(_Trigger):
    platform: Literal["event"]
    device: Reference
    event: Reference
    data: ScalarData = {}


class AvailabilityTrigger(_Trigger):
    platform: Literal["availability"]
    device: Reference
    to: Literal["online", "offline"]


class TimeTrigger(_Trigger):
    platform: Literal["time"]
    at: clock_time


class CronTrigger(_Trigger):
    platform: Literal["cron"]
    cron: str = Field(max_length=MAX_NAME)

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, value: str) -> str:
        from hub.scenes.schedule import CronSpec

        CronSpec.parse(value)
        return value


class SunTrigger(_Trigger):
    platform: Literal["sun"]
    event: Literal["sunrise", "sunset"]
    offset: Offset = Field(0, description="seconds; negative is before")


class MqttTrigger(_Trigger):
    platform: Literal["mqtt"]
    topic: TopicFilter = Field(description="an MQTT topic filter ('+' and '#' as whole levels)")
    payload: Scalar | None = None
    """Match the exact payload text, or with ``value_path`` the JSON field's value."""
    value_path: Path | None = None


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
    device: Reference
    feature: Reference
    state: Scalar | ScalarList


class NumericCondition(_Data):
    condition: Literal["numeric"]
    device: Reference
    feature: Reference
    above: Number | None = None
    below: Number | None = None


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class TimeCondition(_Data):
    condition: Literal["time"]
    after: clock_time | None = None
    before: clock_time | None = None
    weekdays: list[Weekday] = Field([], max_length=7)


class SunCondition(_Data):
    condition: Literal["sun"]
    after: Literal["sunrise", "sunset"] | None = None
    before: Literal["sunrise", "sunset"] | None = None
    after_offset: Offset = 0
    before_offset: Offset = 0


class AvailableCondition(_Data):
    condition: Literal["available"]
    device: Reference
    online: bool = True


class TriggerCondition(_Data):
    """A value in the trigger's data, by path as in templates: ``payload_json.value``,
    ``data.action``, ``value``. Without ``state`` / ``above`` / ``below``: the path exists."""

    condition: Literal["trigger"]
    path: Path
    state: Scalar | ScalarList | None = None
    above: Number | None = None
    below: Number | None = None


class AndCondition(_Data):
    condition: Literal["and"]
    conditions: list[Condition] = Items


class OrCondition(_Data):
    condition: Literal["or"]
    conditions: list[Condition] = Items


class NotCondition(_Data):
    condition: Literal["not"]
    conditions: list[Condition] = Items


Condition = Annotated[
    StateCondition | NumericCondition | TimeCondition | SunCondition | AvailableCondition
    | TriggerCondition | AndCondition | OrCondition | NotCondition,
    Field(discriminator="condition"),
]  # fmt: skip

# ---- actions --------------------------------------------------------------------------------


class SetAction(_Data):
    action: Literal["set"]
    device: Reference
    feature: Reference
    value: Scalar


class CallAction(_Data):
    action: Literal["call"]
    device: Reference
    feature: Reference
    args: ScalarData = {}


class SceneAction(_Data):
    action: Literal["scene"]
    scene: Identifier


class DelayAction(_Data):
    action: Literal["delay"]
    seconds: Duration = Field(ge=0)


class WaitAction(_Data):
    action: Literal["wait"]
    trigger: list[Trigger] = Field(min_length=1, max_length=MAX_ITEMS)
    timeout: Duration = Field(gt=0)
    continue_on_timeout: bool = True


class PublishAction(_Data):
    action: Literal["publish"]
    topic: PublishTopic = Field(description="may hold placeholders: {trigger.payload}")
    payload: str = Field("", max_length=256 * 1024)
    qos: Literal[0, 1, 2] = 0
    retain: bool = False


class EnableAction(_Data):
    action: Literal["enable", "disable"]
    automation: Identifier


class NotifyAction(_Data):
    action: Literal["notify"]
    title: Name = "mihub"
    message: Text


class ChooseOption(_Data):
    conditions: list[Condition] = Items
    sequence: list[Action] = Items


class ChooseAction(_Data):
    action: Literal["choose"]
    choices: list[ChooseOption] = Items
    default: list[Action] = Field([], max_length=MAX_ITEMS)


class RepeatAction(_Data):
    """``count`` times, or ``while`` / ``until`` conditions hold, at most ``max_iterations``
    times (1000 unless said; both have a ceiling of 10,000, which is an error to exceed)."""

    action: Literal["repeat"]
    sequence: list[Action] = Items
    count: RepeatCount | None = None
    while_: list[Condition] | None = Field(None, alias="while", max_length=MAX_ITEMS)
    until: list[Condition] | None = Field(None, max_length=MAX_ITEMS)
    max_iterations: RepeatCount | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _count_within_max(self) -> RepeatAction:
        count, most = self.count, self.max_iterations
        if count is not None and most is not None and count > most:
            raise ValueError(f"count {count} is more than max_iterations {most}")
        return self

    @property
    def limit(self) -> int:
        """How many iterations at most."""
        if self.count is not None:
            return self.count
        return self.max_iterations or DEFAULT_MAX_ITERATIONS


class StopAction(_Data):
    action: Literal["stop"]
    reason: Text = ""


Action = Annotated[
    SetAction | CallAction | SceneAction | DelayAction | WaitAction | PublishAction
    | EnableAction | NotifyAction | ChooseAction | RepeatAction | StopAction,
    Field(discriminator="action"),
]  # fmt: skip


def nesting(items: Sequence[Action | Condition]) -> int:
    """Levels of nested conditions and actions in ``items`` (a plain list of actions is 1)."""
    deepest = 0
    for item in items:
        inner: list[Sequence[Action | Condition]] = []
        if isinstance(item, AndCondition | OrCondition | NotCondition):
            inner = [item.conditions]
        elif isinstance(item, ChooseAction):
            inner = [item.default]
            for option in item.choices:
                inner += [option.conditions, option.sequence]
        elif isinstance(item, RepeatAction):
            inner = [item.sequence, item.while_ or [], item.until or []]
        deepest = max(deepest, 1 + max((nesting(i) for i in inner), default=0))
    return deepest


# ---- automations and scenes -----------------------------------------------------------------


class RunMode(StrEnum):
    SINGLE = "single"
    RESTART = "restart"
    QUEUED = "queued"
    PARALLEL = "parallel"


DEFAULT_MAX_RATE = 20.0


class Automation(_Data):
    id: Identifier
    alias: Name = ""
    description: Text = ""
    enabled: bool = True
    mode: RunMode = RunMode.SINGLE
    max: int = Field(10, ge=1, le=1000)
    max_rate: float = Field(DEFAULT_MAX_RATE, gt=0, le=100_000, description=(
        "runs per second, averaged over 5 s, beyond which the loop guard disables the "
        "automation (a trigger it fires itself, such as a publish to its own topic)"))  # fmt: skip
    trigger: list[Trigger] = Field(min_length=1, max_length=MAX_ITEMS)
    condition: list[Condition] = Field([], max_length=MAX_ITEMS)
    action: list[Action] = Field(min_length=1, max_length=MAX_ITEMS)

    @model_validator(mode="before")
    @classmethod
    def _not_too_deep(cls, data: Any) -> Any:
        return not_too_deep(data)

    @field_validator("condition", "action")
    @classmethod
    def _nesting(cls, items: list[Any]) -> list[Any]:
        depth = nesting(items)
        if depth > MAX_NESTING:
            raise ValueError(
                f"nested {depth} levels deep; conditions and actions nest at most "
                f"{MAX_NESTING} levels"
            )
        return items


class SceneTarget(_Data):
    device: Reference
    feature: Reference
    value: Scalar


class Scene(_Data):
    id: Identifier
    name: Name = Field(min_length=1)
    targets: list[SceneTarget] = Field(min_length=1, max_length=MAX_TARGETS)


class SceneSnapshot(_Data):
    """A scene to create from the current values of chosen devices (API body)."""

    id: Identifier | None = None
    name: Name = Field(min_length=1)
    devices: list[Reference] = Field(min_length=1, max_length=MAX_ITEMS)
    features: list[Reference] | None = Field(None, max_length=MAX_ITEMS)
    """Only these feature ids (of each device); every writable one when omitted."""


class InvalidDefinition(ConfigError, InvalidValue):
    """A scene or automation failed validation: a config error in YAML, a 422 over the API.

    The message has one line per problem, each naming the automation (alias or id) and the
    field; ``problems`` holds the same as data: ``{"field": "action.0.value", "message": ..}``.
    """

    def __init__(self, message: str, problems: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.problems = problems


def slug_id(name: str, fallback: str) -> str:
    """An id made from a name: "Movie night!" -> "movie-night"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:56] or fallback


class DuplicateId(HubError):
    """A scene or automation with this id exists already (the API answers 409)."""

    def __init__(self, message: str, existing: str) -> None:
        super().__init__(message)
        self.existing = existing


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
        label, key = _shown(data.get("alias") or data.get("name")), _shown(data.get("id"))
        if label and key and label != key:
            name = f"'{label}' ({key})"
        elif label or key:
            name = f"'{label or key}'"
    problems = [
        {"field": field_path(error["loc"]) or "(top level)", "message": error["msg"]}
        for error in exc.errors()
    ]
    lines = [f"{where} {name}: {p['field']}: {p['message']}" for p in problems]
    return InvalidDefinition("\n".join(lines), problems)


def _shown(value: Any) -> str:
    """A name from an invalid definition, safe to print on one line of a log."""
    if not value:
        return ""
    text = "".join(c if c.isprintable() else "?" for c in str(value)[:80])
    return text + ("..." if len(str(value)) > 80 else "")


def field_parts(loc: Sequence[int | str]) -> list[int | str]:
    """pydantic's error location as a user wrote the field: ``action, 0, value``.

    pydantic names the union member after a list index (``action.0.set.value``) and may
    add a validator's name (``function-after[...]``); both go.
    """
    parts: list[int | str] = []
    for number, part in enumerate(loc):
        if isinstance(part, str) and "[" in part:
            continue
        if number and isinstance(loc[number - 1], int) and part in _TAGS:
            after = loc[number + 1] if number + 1 < len(loc) else None
            # a tag is followed by its member's field; "trigger" is also a list's name
            if isinstance(after, str) or (after is None and part != "trigger"):
                continue
        parts.append(part)
    return parts


def field_path(loc: Sequence[int | str]) -> str:
    """:func:`field_parts`, dotted: ``action.0.value``."""
    return ".".join(str(part) for part in field_parts(loc))


_TAGS = {
    "state", "event", "availability", "time", "cron", "sun", "mqtt", "webhook", "start",
    "numeric", "available", "trigger", "and", "or", "not", "set", "call", "scene", "delay", "wait",
    "publish", "enable", "disable", "notify", "choose", "repeat", "stop",
}  # fmt: skip

for _model in (AndCondition, OrCondition, NotCondition, ChooseOption, ChooseAction,
               RepeatAction, WaitAction, Automation):  # fmt: skip
    _model.model_rebuild()
