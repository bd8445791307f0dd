"""AutomationEngine: triggers in, conditions checked, actions run, every evaluation traced.

Bus events reach automations through the trigger index (hub/scenes/triggers.py), so the cost
of an event does not grow with the number of automations. A matched trigger is handled
synchronously up to the conditions; only a run that will act gets a task. Pending ``delay``
steps and ``for`` timers are written to the store and resume after a restart.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from hub.bus import (
    AutomationRan,
    DeviceEvent,
    DeviceOffline,
    DeviceOnline,
    EventBus,
    MqttMessage,
    StateChanged,
)
from hub.devices.registry import DeviceRegistry
from hub.errors import HubError, NotFound
from hub.scenes.actions import ActionRunner, Publish, Run, StopRun
from hub.scenes.conditions import ConditionChecker
from hub.scenes.model import (
    Automation,
    AvailabilityTrigger,
    CronTrigger,
    EventTrigger,
    MqttTrigger,
    RunMode,
    StateTrigger,
    SunTrigger,
    TimeTrigger,
    Trigger,
    parse_automation,
)
from hub.scenes.scenes import SceneManager
from hub.scenes.schedule import CronSpec, Location, next_time_of_day
from hub.scenes.timers import DurableTimers
from hub.scenes.triggers import Listener, TriggerIndex, crossed, mqtt_data, state_matches
from hub.store import Store

_LOGGER = logging.getLogger(__name__)
COLLECTION = "automations"


class AutomationEngine:
    def __init__(
        self,
        registry: DeviceRegistry,
        bus: EventBus,
        store: Store | None = None,
        *,
        scenes: SceneManager | None = None,
        publish: Publish | None = None,
        location: Location | None = None,
        trace_limit: int = 10,
    ) -> None:
        self.registry = registry
        self.bus = bus
        self.store = store
        self.scenes = scenes or SceneManager(registry, store)
        self.publish = publish
        self.location = location or Location()
        self.trace_limit = trace_limit
        self.automations: dict[str, Automation] = {}
        self.index = TriggerIndex()
        self.checker = ConditionChecker(registry, self.location, self.now)
        self.runner = ActionRunner(self)
        self.timers = DurableTimers(store)
        self.runs_total = 0
        self.evaluations = 0
        self._traces: dict[str, deque[dict[str, Any]]] = {}
        self._running: dict[str, list[Run]] = {}
        self._queued: dict[str, deque[Run]] = {}
        self._schedules: dict[str, list[asyncio.Task[None]]] = {}
        self._for_timers: dict[tuple[str, int], asyncio.TimerHandle] = {}
        self._waiters: list[tuple[list[Trigger], asyncio.Future[dict[str, Any]]]] = []
        self._unsubscribe: list[Any] = []
        self._ids = itertools.count(1)
        self._stopping = False
        self.on_topics: Callable[[set[str]], None] | None = None
        """Told the MQTT topic filters the automations need, whenever they change."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(self.location.zone)

    # ---- lifecycle ------------------------------------------------------------------------

    async def start(self, configured: list[dict[str, Any]] | None = None) -> None:
        await self.scenes.load()
        if self.store is not None:
            for doc in (await self.store.all(COLLECTION)).values():
                self._install(parse_automation(doc))
        for number, data in enumerate(configured or []):
            self._install(parse_automation(data, f"automations[{number}]"))
        subscribe = self.bus.subscribe
        self._unsubscribe = [
            subscribe(StateChanged, self._on_state),
            subscribe(DeviceEvent, self._on_device_event),
            subscribe(DeviceOnline, self._on_online),
            subscribe(DeviceOffline, self._on_offline),
            subscribe(MqttMessage, self._on_mqtt),
        ]
        await self._resume_timers()
        for listener in list(self.index.start):
            self._matched(listener, {"platform": "start"})

    async def stop(self) -> None:
        self._stopping = True
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        for handle in self._for_timers.values():
            handle.cancel()
        tasks = [t for ts in self._schedules.values() for t in ts]
        tasks += [r.task for runs in self._running.values() for r in runs if r.task]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for _, future in self._waiters:
            future.cancel()

    # ---- definitions ----------------------------------------------------------------------

    def _install(self, automation: Automation) -> None:
        self._uninstall(automation.id)
        self.automations[automation.id] = automation
        self.index.add(automation.id, automation.trigger)
        self._traces.setdefault(automation.id, deque(maxlen=self.trace_limit))
        self._schedule(automation)
        self._topics_changed()

    def _uninstall(self, automation_id: str) -> None:
        self.automations.pop(automation_id, None)
        self.index.remove(automation_id)
        for task in self._schedules.pop(automation_id, []):
            task.cancel()
        for key in [k for k in self._for_timers if k[0] == automation_id]:
            self._for_timers.pop(key).cancel()
        self._topics_changed()

    def _topics_changed(self) -> None:
        if self.on_topics is not None:
            self.on_topics(self.index.topic_filters())

    async def save(self, automation: Automation) -> Automation:
        """Create or replace an automation (persisted)."""
        self._install(automation)
        if self.store is not None:
            doc = automation.model_dump(mode="json", by_alias=True, exclude_none=True)
            await self.store.put(COLLECTION, automation.id, doc)
        return automation

    async def delete(self, automation_id: str) -> None:
        self.get(automation_id)
        self._uninstall(automation_id)
        self._traces.pop(automation_id, None)
        if self.store is not None:
            await self.store.delete(COLLECTION, automation_id)

    def get(self, automation_id: str) -> Automation:
        try:
            return self.automations[automation_id]
        except KeyError:
            raise NotFound(f"no automation '{automation_id}'") from None

    async def set_enabled(self, automation_id: str, enabled: bool) -> Automation:
        automation = self.get(automation_id).model_copy(update={"enabled": enabled})
        return await self.save(automation)

    def traces(self, automation_id: str) -> list[dict[str, Any]]:
        self.get(automation_id)
        return list(reversed(self._traces.get(automation_id, ())))

    def topic_filters(self) -> set[str]:
        return self.index.topic_filters()

    # ---- triggering -----------------------------------------------------------------------

    def _on_state(self, event: StateChanged) -> None:
        listeners = self.index.state.get((event.device_id, event.feature))
        if listeners:
            for listener in listeners:
                trigger = listener.trigger
                if not isinstance(trigger, StateTrigger):
                    continue
                key = (listener.automation_id, listener.index)
                if key in self._for_timers and not state_matches(trigger, event.value, None):
                    self._for_timers.pop(key).cancel()
                    self.timers.forget(f"for:{key[0]}:{key[1]}")
                if crossed(trigger, event.value, event.old_value):
                    data = {"platform": "state", "device": event.device_id,
                            "feature": event.feature, "value": event.value,
                            "from": event.old_value}  # fmt: skip
                    if trigger.for_:
                        self._start_for(listener, trigger.for_, data)
                    else:
                        self._matched(listener, data)
        if self._waiters:
            self._check_waiters(event)

    def _on_device_event(self, event: DeviceEvent) -> None:
        for listener in self.index.event.get((event.device_id, event.event), ()):
            trigger = listener.trigger
            if isinstance(trigger, EventTrigger) and all(
                event.data.get(k) == v for k, v in trigger.data.items()
            ):
                data = {"platform": "event", "device": event.device_id, "event": event.event,
                        "data": event.data}  # fmt: skip
                self._matched(listener, data)
        if self._waiters:
            self._check_waiters(event)

    def _on_online(self, event: DeviceOnline) -> None:
        self._availability(event.device_id, "online")

    def _on_offline(self, event: DeviceOffline) -> None:
        self._availability(event.device_id, "offline")

    def _availability(self, device_id: str, state: str) -> None:
        for listener in self.index.availability.get(device_id, ()):
            if isinstance(listener.trigger, AvailabilityTrigger) and listener.trigger.to == state:
                self._matched(listener, {"platform": "availability", "device": device_id,
                                         "to": state})  # fmt: skip

    def _on_mqtt(self, event: MqttMessage) -> None:
        for listener in self.index.topics(event.topic):
            trigger = listener.trigger
            if isinstance(trigger, MqttTrigger):
                data = mqtt_data(trigger, event.topic, event.payload)
                if data is not None:
                    self._matched(listener, data)
        if self._waiters:
            self._check_waiters(event)

    def fire_webhook(self, webhook_id: str, data: dict[str, Any] | None = None) -> int:
        """A webhook / API call; returns how many automations it triggered."""
        listeners = self.index.webhook.get(webhook_id, [])
        for listener in listeners:
            self._matched(listener, {"platform": "webhook", "webhook_id": webhook_id,
                                     "data": data or {}})  # fmt: skip
        return len(listeners)

    def run_now(self, automation_id: str, data: dict[str, Any] | None = None) -> str:
        """Run the actions now, skipping triggers and conditions (as a user's "run" button)."""
        automation = self.get(automation_id)
        trace = self._new_trace(automation, {"platform": "manual", **(data or {})})
        return self._start_run(automation, trace)

    def _matched(self, listener: Listener, data: dict[str, Any]) -> None:
        automation = self.automations.get(listener.automation_id)
        if automation is None or not automation.enabled:
            return
        self.evaluations += 1
        trace = self._new_trace(automation, data)
        if automation.condition and not self.checker.all(automation.condition, trace["conditions"]):
            self._finish(trace, "conditions_failed")
            return
        self._start_run(automation, trace)

    # ---- runs -----------------------------------------------------------------------------

    def _new_trace(self, automation: Automation, data: dict[str, Any]) -> dict[str, Any]:
        trace: dict[str, Any] = {
            "id": f"{automation.id}-{next(self._ids)}",
            "automation": automation.id,
            "trigger": data,
            "started": time.time(),
            "conditions": [],
            "actions": [],
            "result": "running",
        }
        self._traces.setdefault(automation.id, deque(maxlen=self.trace_limit)).append(trace)
        return trace

    def _finish(self, trace: dict[str, Any], result: str, error: str | None = None) -> None:
        trace["result"] = result
        trace["ms"] = round((time.time() - trace["started"]) * 1000, 3)
        if error:
            trace["error"] = error
        self.bus.publish(AutomationRan(trace["automation"], trace["id"], result))

    def _start_run(self, automation: Automation, trace: dict[str, Any], step: int = 0) -> str:
        trace_id: str = trace["id"]
        running = self._running.setdefault(automation.id, [])
        run = Run(trace["id"], automation.id, dict(trace["trigger"]), trace, step=step)
        mode = automation.mode
        if running:
            if mode is RunMode.SINGLE:
                self._finish(trace, "skipped", "already running (mode: single)")
                return trace_id
            if mode is RunMode.RESTART:
                for other in running:
                    if other.task is not None:
                        other.task.cancel()
            elif mode is RunMode.QUEUED:
                queue = self._queued.setdefault(automation.id, deque())
                if len(queue) + len(running) >= automation.max:
                    self._finish(trace, "skipped", f"queue full (max {automation.max})")
                else:
                    trace["result"] = "queued"
                    queue.append(run)
                return trace_id
            elif len(running) >= automation.max:
                self._finish(
                    trace, "skipped", f"{len(running)} runs already (max {automation.max})"
                )
                return trace_id
        self._launch(automation, run)
        return trace_id

    def _launch(self, automation: Automation, run: Run) -> None:
        self.runs_total += 1
        run.trace["result"] = "running"
        self._running.setdefault(automation.id, []).append(run)
        run.task = asyncio.get_running_loop().create_task(
            self._execute(automation, run), name=f"automation-{run.id}"
        )
        run.task.add_done_callback(lambda _: self._reap(automation, run))

    async def _execute(self, automation: Automation, run: Run) -> None:
        run.result = "done"
        try:
            actions = automation.action[run.step :]
            await self.runner.sequence(run, actions, run.trace["actions"], top=run.step)
        except StopRun as stop:
            run.result, run.error = "stopped", str(stop) or None
        except HubError as exc:
            run.result, run.error = "error", str(exc)
        except Exception as exc:
            _LOGGER.exception("automation %s failed", automation.id)
            run.result, run.error = "error", f"{type(exc).__name__}: {exc}"

    def _reap(self, automation: Automation, run: Run) -> None:
        """Bookkeeping when a run's task ends, however it ends (even cancelled unstarted)."""
        running = self._running.get(automation.id, [])
        if run in running:
            running.remove(run)
        if not self._stopping and run.delay_key:
            self.timers.forget(run.delay_key)
        self._finish(run.trace, run.result, run.error)
        queue = self._queued.get(automation.id)
        if queue and not self._stopping:
            self._launch(automation, queue.popleft())

    async def delay(self, run: Run, seconds: float, durable: bool) -> None:
        if durable and self.store is not None:
            run.delay_key = f"delay:{run.id}"
            await self.timers.remember(run.delay_key, {
                "kind": "delay", "automation": run.automation_id, "step": run.step,
                "at": time.time() + seconds, "trigger": run.data,
            })  # fmt: skip
        await asyncio.sleep(seconds)
        if run.delay_key:
            self.timers.forget(run.delay_key)
            run.delay_key = None

    # ---- for timers, waits and schedules --------------------------------------------------

    def _start_for(self, listener: Listener, seconds: float, data: dict[str, Any]) -> None:
        key = (listener.automation_id, listener.index)
        if key in self._for_timers:
            return
        at = time.time() + seconds
        self._arm_for(listener, at, data)
        doc = {"kind": "for", "automation": key[0], "index": key[1], "at": at, "trigger": data}
        self.timers.remember_soon(f"for:{key[0]}:{key[1]}", doc)

    def _arm_for(self, listener: Listener, at: float, data: dict[str, Any]) -> None:
        key = (listener.automation_id, listener.index)

        def fire() -> None:
            self._for_timers.pop(key, None)
            self.timers.forget(f"for:{key[0]}:{key[1]}")
            self._matched(listener, data)

        loop = asyncio.get_running_loop()
        self._for_timers[key] = loop.call_later(max(0.0, at - time.time()), fire)

    async def _resume_timers(self) -> None:
        for key, doc in (await self.timers.all()).items():
            automation = self.automations.get(doc.get("automation", ""))
            if automation is None:
                self.timers.forget(key)
                continue
            if doc.get("kind") == "delay":
                self.timers.forget(key)
                trace = self._new_trace(automation, {**doc.get("trigger", {}), "resumed": True})
                resume = self._resume_delay(automation, trace, doc["step"] + 1, doc["at"])
                task = asyncio.get_running_loop().create_task(resume, name=f"resume-{key}")
                self._schedules.setdefault(automation.id, []).append(task)
            elif doc.get("kind") == "for":
                index = int(doc.get("index", -1))
                trigger = (
                    automation.trigger[index] if 0 <= index < len(automation.trigger) else None
                )
                if not isinstance(trigger, StateTrigger):
                    self.timers.forget(key)
                    continue
                device = self.registry.devices.get(trigger.device)
                value = None if device is None else device.value(trigger.feature)
                if device is not None and state_matches(trigger, value, None):
                    self._arm_for(
                        Listener(automation.id, index, trigger), doc["at"], doc["trigger"]
                    )
                else:
                    self.timers.forget(key)

    async def _resume_delay(
        self, automation: Automation, trace: dict[str, Any], step: int, at: float
    ) -> None:
        await asyncio.sleep(max(0.0, at - time.time()))
        if step < len(automation.action):
            self._start_run(automation, trace, step=step)
        else:
            self._finish(trace, "done")

    async def wait_for(self, triggers: list[Trigger], seconds: float) -> dict[str, Any] | None:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        entry = (triggers, future)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(future, seconds)
        except TimeoutError:
            return None
        finally:
            self._waiters.remove(entry)

    def _check_waiters(self, event: object) -> None:
        for triggers, future in list(self._waiters):
            if future.done():
                continue
            for trigger in triggers:
                data = _waited(trigger, event)
                if data is not None:
                    future.set_result(data)
                    break

    def _schedule(self, automation: Automation) -> None:
        loop = asyncio.get_running_loop()
        for index, trigger in enumerate(automation.trigger):
            if isinstance(trigger, TimeTrigger | CronTrigger | SunTrigger):
                listener = Listener(automation.id, index, trigger)
                task = loop.create_task(self._clock(listener), name=f"schedule-{automation.id}")
                self._schedules.setdefault(automation.id, []).append(task)

    async def _clock(self, listener: Listener) -> None:
        trigger = listener.trigger
        cron = CronSpec.parse(trigger.cron) if isinstance(trigger, CronTrigger) else None
        while True:
            now = self.now()
            if isinstance(trigger, TimeTrigger):
                moment = next_time_of_day(trigger.at, now)
            elif cron is not None:
                moment = cron.next_after(now)
            elif isinstance(trigger, SunTrigger):
                moment = self.location.next_sun_event(trigger.event, trigger.offset, now)
            else:
                return
            await asyncio.sleep((moment - now).total_seconds())
            self._matched(listener, {"platform": trigger.platform, "at": moment.isoformat()})


def _waited(trigger: Trigger, event: object) -> dict[str, Any] | None:
    """The data of ``event`` when it satisfies a ``wait`` action's ``trigger``."""
    if (
        isinstance(trigger, StateTrigger)
        and isinstance(event, StateChanged)
        and (event.device_id, event.feature) == (trigger.device, trigger.feature)
        and state_matches(trigger, event.value, event.old_value)
    ):
        return {"device": event.device_id, "feature": event.feature, "value": event.value}
    if (
        isinstance(trigger, EventTrigger)
        and isinstance(event, DeviceEvent)
        and (event.device_id, event.event) == (trigger.device, trigger.event)
    ):
        return {"device": event.device_id, "event": event.event, "data": event.data}
    if (
        isinstance(trigger, MqttTrigger)
        and isinstance(event, MqttMessage)
        and event.topic == trigger.topic
    ):
        return mqtt_data(trigger, event.topic, event.payload)
    return None
