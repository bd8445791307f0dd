"""Running an automation's actions, each recorded in the trace with its result and time.

A device that fails a ``set`` (offline, refused) is recorded as ``failed`` with the reason and
the run goes on with the next action (one dead bulb must not keep the others dark); an
invalid request (no such device or feature, a value out of range) ends the run as an error.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from hub.bus import Notification, Origin
from hub.devices.model import CommandStatus
from hub.errors import HubError
from hub.mqtt_topics import publish_topic
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
from hub.scenes.runs import Run
from hub.scenes.template import compile_template, render

if TYPE_CHECKING:
    from hub.scenes.engine import AutomationEngine

Publish = Callable[[str, bytes, int, bool], Awaitable[None]]
"""The MQTT connection's ``publish(topic, payload, qos, retain)``."""

TRACED_ITERATIONS = 20
"""A ``repeat`` records the steps of its first iterations only, so a trace stays small."""


def eager_safe(actions: list[Action]) -> bool:
    """Whether a run of ``actions`` may start outside a task (hub/scenes/runs.py).

    Code run before a task exists must not need one: ``asyncio.timeout()`` refuses to run
    without a current task (and would pick the caller's if there were one). Device commands
    go through protocol code that may do exactly that, so runs with them start as tasks;
    MQTT publishing at QoS 0 (the publish callable must not need a task for it: the MQTT
    connection's does not), notifications, delays, waits and the control actions made of
    these are safe.
    """
    for action in actions:
        if isinstance(action, PublishAction):
            if action.qos != 0:
                return False
        elif isinstance(action, ChooseAction):
            options = [o.sequence for o in action.choices] + [action.default]
            if not all(eager_safe(sequence) for sequence in options):
                return False
        elif isinstance(action, RepeatAction):
            if not eager_safe(action.sequence):
                return False
        elif not isinstance(action, NotifyAction | StopAction | DelayAction | WaitAction):
            return False
    return True


class StopRun(Exception):
    """A ``stop`` action (or a ``wait`` that timed out without continuing) ended the run."""


Entry = dict[str, Any]


class ActionRunner:
    def __init__(self, engine: AutomationEngine) -> None:
        self.engine = engine
        self._handlers: dict[type[Any], Callable[[Run, Any, Entry, bool], Awaitable[None]]] = {
            SetAction: self._set,
            CallAction: self._call,
            SceneAction: self._scene,
            DelayAction: self._delay,
            WaitAction: self._wait,
            PublishAction: self._publish,
            EnableAction: self._enable,
            NotifyAction: self._notify,
            ChooseAction: self._choose,
            RepeatAction: self._repeat,
            StopAction: self._stop,
        }

    async def sequence(
        self, run: Run, actions: list[Action], trace: list[Entry] | None, top: int | None = None
    ) -> None:
        """Run ``actions`` in order; ``top`` is the index of the first one at the top level
        (only top-level delays are durable). ``trace`` None runs them untraced."""
        handlers = self._handlers
        for offset, action in enumerate(actions):
            if top is not None:
                run.step = top + offset
            entry: Entry = {"action": action.action}
            if trace is not None:
                trace.append(entry)
            began = time.perf_counter()
            try:
                await handlers[type(action)](run, action, entry, top is not None)
            except StopRun:
                entry["result"] = "stopped"
                raise
            except HubError as exc:
                entry["result"] = "error"
                entry["error"] = str(exc)
                raise
            finally:
                entry["ms"] = round((time.perf_counter() - began) * 1000, 3)
            if "result" not in entry:
                entry["result"] = "ok"
            await run.step_taken()

    @staticmethod
    def context(run: Run) -> dict[str, Any]:
        return {"trigger": run.data, "automation": run.automation_id}

    async def _set(self, run: Run, action: SetAction, entry: Entry, top: bool) -> None:
        entry.update(device=action.device, feature=action.feature, value=action.value)
        result = await self.engine.registry.command(
            action.device, action.feature, action.value, origin=Origin.AUTOMATION
        )
        entry["result"] = str(result.status)
        if result.status is CommandStatus.FAILED:
            entry["error"] = result.error or "failed"

    async def _call(self, run: Run, action: CallAction, entry: Entry, top: bool) -> None:
        entry.update(device=action.device, feature=action.feature)
        registry = self.engine.registry
        entry["out"] = await registry.call_action(
            action.device, action.feature, action.args, origin=Origin.AUTOMATION
        )

    async def _scene(self, run: Run, action: SceneAction, entry: Entry, top: bool) -> None:
        entry["scene"] = action.scene
        outcome = await self.engine.scenes.activate(action.scene)
        entry["devices"] = [device.model_dump(exclude_none=True) for device in outcome.devices]
        entry["result"] = "ok" if outcome.ok else "failed"

    async def _delay(self, run: Run, action: DelayAction, entry: Entry, top: bool) -> None:
        entry["seconds"] = action.seconds
        await self.engine.delay(run, action.seconds, durable=top)

    async def _wait(self, run: Run, action: WaitAction, entry: Entry, top: bool) -> None:
        fired = await self.engine.wait_for(action.trigger, action.timeout)
        if fired is not None:
            entry["result"] = "triggered"
            entry["wait"] = fired
            run.data = {**run.data, "wait": fired}
            return
        entry["result"] = "timeout"
        if not action.continue_on_timeout:
            raise StopRun("wait timed out")

    async def _publish(self, run: Run, action: PublishAction, entry: Entry, top: bool) -> None:
        publish = self.engine.publish
        if publish is None:
            raise HubError("no MQTT connection to publish on")
        context = {"trigger": run.data, "automation": run.automation_id}
        missing: list[str] = []
        topic = compile_template(action.topic).render(context, missing)
        payload = compile_template(action.payload).render(context, missing)
        if missing:
            entry["missing"] = missing
        entry["topic"] = topic
        try:
            publish_topic(topic)  # a placeholder may have filled in a wildcard or nothing
        except ValueError as exc:
            raise HubError(f"cannot publish: {exc}") from None
        await publish(topic, payload.encode(), action.qos, action.retain)

    async def _enable(self, run: Run, action: EnableAction, entry: Entry, top: bool) -> None:
        entry["automation"] = action.automation
        await self.engine.set_enabled(action.automation, action.action == "enable")

    async def _notify(self, run: Run, action: NotifyAction, entry: Entry, top: bool) -> None:
        context = self.context(run)
        title, message = render(action.title, context), render(action.message, context)
        data = {"automation": run.automation_id, "trace": run.id}
        self.engine.bus.publish(Notification(title, message, data))
        entry["message"] = message

    async def _choose(self, run: Run, action: ChooseAction, entry: Entry, top: bool) -> None:
        checks: list[Entry] = []
        entry["conditions"] = checks
        steps: list[Entry] = []
        for number, option in enumerate(action.choices):
            if self.engine.checker.all(option.conditions, checks, run.data):
                entry["chose"] = number
                entry["actions"] = steps
                await self.sequence(run, option.sequence, steps)
                return
        entry["chose"] = "default"
        entry["actions"] = steps
        await self.sequence(run, action.default, steps)

    async def _repeat(self, run: Run, action: RepeatAction, entry: Entry, top: bool) -> None:
        checker = self.engine.checker
        iterations: list[list[Entry]] = []
        entry["iterations"] = 0
        entry["steps"] = iterations
        count, limit = 0, action.limit
        while True:
            if count >= limit:
                if action.count is None:  # a while/until loop cut short: say so
                    entry["result"] = "max_iterations"
                    entry["error"] = f"stopped after max_iterations ({limit})"
                break
            if action.while_ is not None and not checker.all(action.while_, [], run.data):
                break
            run.data = {**run.data, "repeat": {"index": count + 1}}
            steps: list[Entry] | None = [] if count < TRACED_ITERATIONS else None
            if steps is not None:
                iterations.append(steps)
            await self.sequence(run, action.sequence, steps)
            await run.step_taken()
            count += 1
            entry["iterations"] = count
            if action.until is not None and checker.all(action.until, [], run.data):
                break

    async def _stop(self, run: Run, action: StopAction, entry: Entry, top: bool) -> None:
        entry["reason"] = action.reason
        raise StopRun(action.reason)
