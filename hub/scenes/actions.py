"""Running an automation's actions, each recorded in the trace with its result and time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hub.bus import Notification
from hub.errors import HubError
from hub.scenes.model import (
    Action,
    CallAction,
    ChooseAction,
    DelayAction,
    EnableAction,
    NotifyAction,
    PublishAction,
    RepeatAction,
    SceneAction,
    SetAction,
    StopAction,
    WaitAction,
)
from hub.scenes.template import render

if TYPE_CHECKING:
    from hub.scenes.engine import AutomationEngine

Publish = Callable[[str, bytes, int, bool], Awaitable[None]]


class StopRun(Exception):
    """A ``stop`` action ended the run."""


@dataclass
class Run:
    id: str
    automation_id: str
    data: dict[str, Any]
    trace: dict[str, Any]
    task: asyncio.Task[None] | None = None
    delay_key: str | None = None
    step: int = 0
    result: str = "cancelled"
    """How the run ended; stays "cancelled" when its task is cancelled."""
    error: str | None = None


class ActionRunner:
    def __init__(self, engine: AutomationEngine) -> None:
        self.engine = engine

    async def sequence(
        self, run: Run, actions: list[Action], trace: list[dict[str, Any]], top: int | None = None
    ) -> None:
        """Run ``actions`` in order; ``top`` is the index of the first one at the top level."""
        for offset, action in enumerate(actions):
            if top is not None:
                run.step = top + offset
            entry: dict[str, Any] = {"action": action.action}
            trace.append(entry)
            began = time.perf_counter()
            try:
                await self.one(run, action, entry, top is not None)
            except StopRun:
                entry["result"] = "stopped"
                raise
            except HubError as exc:
                entry["result"] = "error"
                entry["error"] = str(exc)
                raise
            finally:
                entry["ms"] = round((time.perf_counter() - began) * 1000, 3)
            entry.setdefault("result", "ok")

    async def one(self, run: Run, action: Action, entry: dict[str, Any], top: bool) -> None:
        engine = self.engine
        context = {"trigger": run.data, "automation": run.automation_id}
        if isinstance(action, SetAction):
            result = await engine.registry.command(action.device, action.feature, action.value)
            entry.update(device=action.device, feature=action.feature, value=action.value,
                         result=str(result.status))  # fmt: skip
            if result.error:
                entry["error"] = result.error
        elif isinstance(action, CallAction):
            out = await engine.registry.call_action(action.device, action.feature, action.args)
            entry.update(device=action.device, feature=action.feature, out=out)
        elif isinstance(action, SceneAction):
            entry["devices"] = await engine.scenes.activate(action.scene)
        elif isinstance(action, DelayAction):
            await engine.delay(run, action.seconds, durable=top)
        elif isinstance(action, WaitAction):
            fired = await engine.wait_for(action.trigger, action.timeout)
            entry["result"] = "triggered" if fired is not None else "timeout"
            if fired is not None:
                run.data = {**run.data, "wait": fired}
            elif not action.continue_on_timeout:
                raise StopRun("wait timed out")
        elif isinstance(action, PublishAction):
            missing: list[str] = []
            topic = render(action.topic, context, missing)
            payload = render(action.payload, context, missing)
            if missing:
                entry["missing"] = missing
            if engine.publish is None:
                raise HubError("no MQTT connection to publish on")
            await engine.publish(topic, payload.encode(), action.qos, action.retain)
            entry["topic"] = topic
        elif isinstance(action, EnableAction):
            await engine.set_enabled(action.automation, action.action == "enable")
            entry["automation"] = action.automation
        elif isinstance(action, NotifyAction):
            title, message = render(action.title, context), render(action.message, context)
            engine.bus.publish(Notification(title, message, {"automation": run.automation_id}))
        elif isinstance(action, ChooseAction):
            await self._choose(run, action, entry)
        elif isinstance(action, RepeatAction):
            await self._repeat(run, action, entry)
        elif isinstance(action, StopAction):
            entry["reason"] = action.reason
            raise StopRun(action.reason)

    async def _choose(self, run: Run, action: ChooseAction, entry: dict[str, Any]) -> None:
        checks: list[dict[str, Any]] = []
        entry["conditions"] = checks
        for number, option in enumerate(action.choices):
            if self.engine.checker.all(option.conditions, checks):
                entry["chose"] = number
                steps: list[dict[str, Any]] = []
                entry["actions"] = steps
                await self.sequence(run, option.sequence, steps)
                return
        entry["chose"] = "default"
        steps = []
        entry["actions"] = steps
        await self.sequence(run, action.default, steps)

    async def _repeat(self, run: Run, action: RepeatAction, entry: dict[str, Any]) -> None:
        checker = self.engine.checker
        iterations = 0
        while iterations < action.max_iterations:
            if action.count is not None and iterations >= action.count:
                break
            if action.while_ is not None and not checker.all(action.while_, []):
                break
            run.data = {**run.data, "repeat": {"index": iterations + 1}}
            await self.sequence(run, action.sequence, [])
            iterations += 1
            if action.until is not None and checker.all(action.until, []):
                break
        entry["iterations"] = iterations
