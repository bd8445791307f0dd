"""What a scene or automation names, checked against the devices the hub knows.

One check for both, so scenes and automations agree: the API refuses (422) a definition that
names a device it does not know, a feature that device lacks, or a value the feature cannot
take; at start-up the same problems are WARNINGs (a device may simply not have been seen
yet), never a reason not to start.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from hub.devices.model import Device, FeatureKind
from hub.devices.registry import DeviceRegistry
from hub.errors import InvalidValue
from hub.scenes.model import (
    AndCondition,
    Automation,
    AvailabilityTrigger,
    AvailableCondition,
    CallAction,
    ChooseAction,
    Condition,
    EventTrigger,
    NotCondition,
    NumericCondition,
    OrCondition,
    RepeatAction,
    Scene,
    SetAction,
    StateCondition,
    StateTrigger,
    Trigger,
    WaitAction,
)


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    """Where in the definition: ``action.2.value``, ``targets.0.device``."""
    message: str
    unknown_device: bool = False
    """The device is not known (yet): at start-up only a warning."""

    def __str__(self) -> str:
        return f"{self.field}: {self.message}{' (not seen yet)' * self.unknown_device}"


def load_level(problem: Problem) -> int:
    """How loudly a problem found at load is logged. A device not seen yet is expected at
    start (discovery and onboarding run after the config is read), so INFO; the hub checks
    again once it has had time to find it (:func:`still_unseen`) and warns then. Anything
    else is a WARNING at once."""
    return logging.INFO if problem.unknown_device else logging.WARNING


def still_unseen(
    scenes: Sequence[Scene], automations: Sequence[Automation], registry: DeviceRegistry
) -> list[str]:
    """The references to devices the hub has still not seen, one line each."""
    lines = [
        f"scene {scene.id}: {problem}"
        for scene in scenes
        for problem in scene_problems(scene, registry)
        if problem.unknown_device
    ]
    lines += [
        f"automation {automation.id}: {problem}"
        for automation in automations
        for problem in automation_problems(automation, registry)
        if problem.unknown_device
    ]
    return lines


def scene_problems(scene: Scene, registry: DeviceRegistry) -> list[Problem]:
    problems: list[Problem] = []
    for number, target in enumerate(scene.targets):
        where = f"targets.{number}"
        problems += _settable(registry, where, target.device, target.feature, target.value)
    return problems


def automation_problems(automation: Automation, registry: DeviceRegistry) -> list[Problem]:
    problems: list[Problem] = []
    for number, trigger in enumerate(automation.trigger):
        problems += _trigger(registry, f"trigger.{number}", trigger)
    problems += _conditions(registry, "condition", automation.condition)
    problems += _actions(registry, "action", automation.action)
    return problems


def _device(registry: DeviceRegistry, where: str, device_id: str) -> Device | Problem:
    device = registry.find(device_id)
    if device is None:
        return Problem(f"{where}.device", f"no device '{device_id}'", unknown_device=True)
    return device


def _has(registry: DeviceRegistry, where: str, device_id: str, feature: str) -> list[Problem]:
    device = _device(registry, where, device_id)
    if isinstance(device, Problem):
        return [device]
    if feature not in device.features:
        return [Problem(f"{where}.feature", f"'{device_id}' has no feature '{feature}'")]
    return []


def _settable(
    registry: DeviceRegistry, where: str, device_id: str, feature_id: str, value: object
) -> list[Problem]:
    device = _device(registry, where, device_id)
    if isinstance(device, Problem):
        return [device]
    feature = device.features.get(feature_id)
    if feature is None or feature.kind is FeatureKind.ACTION:
        message = f"'{device_id}' has no settable feature '{feature_id}'"
        return [Problem(f"{where}.feature", message)]
    try:
        feature.validate(value)
    except InvalidValue as exc:
        return [Problem(f"{where}.value", str(exc))]
    return []


def _trigger(registry: DeviceRegistry, where: str, trigger: Trigger) -> list[Problem]:
    if isinstance(trigger, StateTrigger):
        return _has(registry, where, trigger.device, trigger.feature)
    if isinstance(trigger, EventTrigger):
        problems = _has(registry, where, trigger.device, trigger.event)
        return [Problem(p.field.replace(".feature", ".event"), p.message.replace(
            "no feature", "no event"), p.unknown_device) for p in problems]  # fmt: skip
    if isinstance(trigger, AvailabilityTrigger):
        device = _device(registry, where, trigger.device)
        return [device] if isinstance(device, Problem) else []
    return []


def _conditions(
    registry: DeviceRegistry, where: str, conditions: Sequence[Condition]
) -> list[Problem]:
    problems: list[Problem] = []
    for number, condition in enumerate(conditions):
        at = f"{where}.{number}"
        if isinstance(condition, StateCondition | NumericCondition):
            problems += _has(registry, at, condition.device, condition.feature)
        elif isinstance(condition, AvailableCondition):
            device = _device(registry, at, condition.device)
            problems += [device] if isinstance(device, Problem) else []
        elif isinstance(condition, AndCondition | OrCondition | NotCondition):
            problems += _conditions(registry, f"{at}.conditions", condition.conditions)
    return problems


def _actions(registry: DeviceRegistry, where: str, actions: Sequence[object]) -> list[Problem]:
    problems: list[Problem] = []
    for at, action in _walk(where, actions):
        if isinstance(action, SetAction):
            problems += _settable(registry, at, action.device, action.feature, action.value)
        elif isinstance(action, CallAction):
            device = _device(registry, at, action.device)
            if isinstance(device, Problem):
                problems.append(device)
            else:
                feature = device.features.get(action.feature)
                if feature is None or feature.kind is not FeatureKind.ACTION:
                    message = f"'{action.device}' has no action '{action.feature}'"
                    problems.append(Problem(f"{at}.feature", message))
        elif isinstance(action, WaitAction):
            for number, trigger in enumerate(action.trigger):
                problems += _trigger(registry, f"{at}.trigger.{number}", trigger)
        elif isinstance(action, ChooseAction):
            for number, option in enumerate(action.choices):
                conditions = option.conditions
                problems += _conditions(registry, f"{at}.choices.{number}.conditions", conditions)
        elif isinstance(action, RepeatAction):
            problems += _conditions(registry, f"{at}.while", action.while_ or [])
            problems += _conditions(registry, f"{at}.until", action.until or [])
    return problems


def _walk(where: str, actions: Sequence[object]) -> Iterator[tuple[str, object]]:
    """Every action with its field path, nested ones (choose, repeat) included."""
    for number, action in enumerate(actions):
        at = f"{where}.{number}"
        yield at, action
        if isinstance(action, ChooseAction):
            for option_number, option in enumerate(action.choices):
                yield from _walk(f"{at}.choices.{option_number}.sequence", option.sequence)
            yield from _walk(f"{at}.default", action.default)
        elif isinstance(action, RepeatAction):
            yield from _walk(f"{at}.sequence", action.sequence)
