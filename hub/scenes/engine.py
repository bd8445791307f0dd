"""AutomationEngine: triggers in, conditions checked, actions run, every evaluation traced.

It needs a device registry, the event bus, a store (optional), an MQTT ``publish`` callable
(optional) and a location with its clock; nothing else. Bus events reach automations through
the trigger index (hub/scenes/triggers.py), so the cost of an event does not grow with the
number of automations. A matched trigger is handled synchronously up to its conditions. A
run that may start outside a task (``eager_safe``: MQTT at QoS 0, notifications, delays,
waits...) then goes on synchronously up to its first real wait, and only then becomes a task
(hub/scenes/runs.py); an MQTT trigger with a payload condition and an MQTT reply at QoS 0
runs entirely inside the bus handler, with no task at all. Other runs are one task each.

Run modes, as Home Assistant has them: ``single`` ignores a trigger while a run is going (a
"skipped" trace), ``restart`` cancels the running one, ``queued`` runs one after another,
``parallel`` runs side by side; ``max`` bounds the last two.

A pending top-level ``delay`` and a pending ``for`` survive a restart (stored by
hub/scenes/timers.py, resumed by hub/scenes/resume.py). Runs yield to the loop and have a
step budget (hub/scenes/runs.py); the loop guard (hub/scenes/guard.py) stops an automation
that runs too often, as one that triggers itself does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
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
from hub.errors import HubError, InvalidValue, NotFound
from hub.scenes.actions import ActionRunner, Publish, StopRun, eager_safe
from hub.scenes.conditions import ConditionChecker
from hub.scenes.guard import LoopGuard
from hub.scenes.model import (
    Automation,
    AutomationStatus,
    AvailabilityTrigger,
    DuplicateId,
    EventTrigger,
    InvalidDefinition,
    MqttTrigger,
    StateTrigger,
    Trigger,
    parse_automation,
    slug_id,
)
from hub.scenes.references import automation_problems, load_level
from hub.scenes.resume import TimerResumer
from hub.scenes.runs import Run, Runs
from hub.scenes.scenes import SceneManager
from hub.scenes.schedule import Clocks, Location
from hub.scenes.timers import DurableTimers, HoldTimers
from hub.scenes.traces import TraceLog
from hub.scenes.triggers import (
    Listener,
    TriggerIndex,
    Waiters,
    WebhookCall,
    crossed,
    mqtt_data,
    same,
)
from hub.store import Store

_LOGGER = logging.getLogger(__name__)
COLLECTION = "automations"
STATE_COLLECTION = "automation_state"
"""``{"enabled": bool}`` per config.yaml automation that was switched over the API."""


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
        now: Callable[[], dt.datetime] | None = None,
        trace_limit: int = 10,
    ) -> None:
        self.registry = registry
        self.bus = bus
        self.store = store
        self.scenes = scenes or SceneManager(registry, store)
        self.publish = publish
        self.location = location or Location()
        self._now = now
        self.automations: dict[str, Automation] = {}
        self.configured: set[str] = set()
        self.index = TriggerIndex()
        self.checker = ConditionChecker(registry, self.location, self.now)
        self.runner = ActionRunner(self)
        self.trace_log = TraceLog(store, trace_limit)
        self.durable = DurableTimers(store)
        self.holds = HoldTimers(self.durable, self._matched)
        self.clocks = Clocks(self.location, self.now, self._matched)
        self.runs = Runs(self._execute, self.finish_trace, self.durable.forget)
        self.waiters = Waiters(registry.keys_of)
        self.evaluations = 0
        """Trigger matches evaluated (conditions checked): the trigger index's test counter."""
        self.resumer = TimerResumer(self)
        self._unsubscribe: list[Callable[[], None]] = []
        self._loading = False
        self._writing = asyncio.Lock()
        self.guard = LoopGuard(self._tripped)
        self._guarding: set[asyncio.Task[Automation]] = set()
        self.on_topics: Callable[[set[str]], None] | None = None
        """Told the MQTT topic filters the automations need, whenever they change."""

    @property
    def runs_total(self) -> int:
        return self.runs.total

    def now(self) -> dt.datetime:
        if self._now is not None:
            return self._now()
        return dt.datetime.now(self.location.zone)

    # ---- lifecycle ------------------------------------------------------------------------

    async def start(self, configured: Sequence[Automation | Mapping[str, Any]] = ()) -> None:
        """Load stored automations, then config.yaml's (they win on the same id), resume
        durable timers, and fire the ``start`` triggers.

        A config.yaml automation that does not validate raises :class:`InvalidDefinition`
        (naming it and the field) before anything starts; a stored one is logged and skipped.
        """
        from_config = [
            parse_automation(data, f"automations[{number}]")
            for number, data in enumerate(configured)
        ]
        self._loading = True
        try:
            await self.scenes.load()
            overrides: dict[str, dict[str, Any]] = {}
            if self.store is not None:
                for key, doc in (await self.store.all(COLLECTION)).items():
                    try:
                        self._install(parse_automation(doc, "stored automation"))
                    except InvalidDefinition as exc:
                        _LOGGER.error("skipping stored automation %s: %s", key, exc)
                overrides = await self.store.all(STATE_COLLECTION)
            for automation in from_config:
                self._install_configured(automation, overrides.get(automation.id))
            await self.trace_log.start()
        except BaseException:
            await self.clocks.stop()
            raise
        finally:
            self._loading = False
        self._topics_changed()
        for automation in self.automations.values():  # WARNINGs, never a refusal to start
            for problem in automation_problems(automation, self.registry):
                _LOGGER.log(load_level(problem), "automation %s: %s", automation.id, problem)
        subscribe = self.bus.subscribe
        self._unsubscribe = [
            subscribe(StateChanged, self._on_state),
            subscribe(DeviceEvent, self._on_device_event),
            subscribe(DeviceOnline, self._on_availability),
            subscribe(DeviceOffline, self._on_availability),
            subscribe(MqttMessage, self._on_mqtt),
        ]
        await self.resumer.start()
        for listener in list(self.index.start):
            self._matched(listener, {"platform": "start"})

    async def stop(self) -> None:
        self.runs.stopping = True
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self.holds.close()
        await self.clocks.stop()
        for guarding in self._guarding:
            guarding.cancel()
        await asyncio.gather(*self._guarding, return_exceptions=True)
        await self.resumer.stop()
        await self.runs.stop()
        self.waiters.cancel()
        await self.trace_log.stop()

    # ---- definitions (the API's calls) ----------------------------------------------------

    def all(self) -> list[Automation]:
        return list(self.automations.values())

    def get(self, automation_id: str) -> Automation:
        try:
            return self.automations[automation_id]
        except KeyError:
            raise NotFound(f"no automation '{automation_id}'") from None

    def status(self, automation_id: str) -> AutomationStatus:
        automation = self.get(automation_id)
        traces = self.trace_log.of(automation_id)
        last = traces[0] if traces else None
        return AutomationStatus(
            id=automation.id, alias=automation.alias, enabled=automation.enabled,
            mode=automation.mode, running=self.runs.count(automation.id),
            source="config" if automation.id in self.configured else "api",
            last_triggered=last["started"] if last else None,
            last_result=last["result"] if last else None,
        )  # fmt: skip

    async def create(self, data: Mapping[str, Any] | Automation) -> Automation:
        """A new automation (validated; errors name it and the field). Without an id, the
        id is made from the alias; raises DuplicateId (naming the existing one) when that id
        is taken, never saving a silent ``-2`` copy of an automation posted twice."""
        if not isinstance(data, Automation):
            body = dict(data)
            if not body.get("id"):
                body["id"] = slug_id(str(body.get("alias") or ""), "automation")
            data = parse_automation(body)
        async with self._writing:
            if data.id in self.automations:
                raise DuplicateId(
                    f"an automation '{data.id}' exists already; give this one another id or alias",
                    data.id,
                )
            return await self._save(data)

    async def update(self, automation_id: str, data: Mapping[str, Any] | Automation) -> Automation:
        """Replace an automation's definition (the id stays); its pending timers are dropped."""
        self._editable(automation_id)
        if not isinstance(data, Automation):
            data = parse_automation({**data, "id": automation_id})
        elif data.id != automation_id:
            raise InvalidValue(f"automation id '{data.id}' does not match '{automation_id}'")
        async with self._writing:
            self._editable(automation_id)
            return await self._save(data)

    async def save(self, automation: Automation) -> Automation:
        """Create or replace (persisted)."""
        async with self._writing:
            return await self._save(automation)

    async def _save(self, automation: Automation) -> Automation:
        """The one write path: the automation is valid (a model), so store it, and only once
        the store has it, put it in memory; a failed write leaves both as they were."""
        if self.store is not None:
            doc = automation.model_dump(mode="json", by_alias=True, exclude_none=True)
            await self.store.put(COLLECTION, automation.id, doc)
        self._install(automation)
        return automation

    async def delete(self, automation_id: str) -> None:
        """Remove it; its running runs are cancelled."""
        async with self._writing:
            self._editable(automation_id)
            if self.store is not None:
                await self.store.delete(COLLECTION, automation_id)
            self._uninstall(automation_id)
            self.runs.cancel(automation_id)
            self.trace_log.forget(automation_id)

    async def install_configured(self, automation: Automation) -> None:
        """A config.yaml automation, new or changed at a reload: not stored; runs of the old
        definition are cancelled; an enabled switch made over the API is kept."""
        async with self._writing:
            store = self.store
            switch = None if store is None else await store.get(STATE_COLLECTION, automation.id)
            self.runs.cancel(automation.id)
            self._install_configured(automation, switch)

    async def remove_configured(self, automation_id: str) -> None:
        """A config.yaml automation that a reload no longer finds there."""
        async with self._writing:
            self.configured.discard(automation_id)
            self._uninstall(automation_id)
            self.runs.cancel(automation_id)
            self.trace_log.forget(automation_id)

    async def set_enabled(self, automation_id: str, enabled: bool) -> Automation:
        """Enable or disable (remembered across restarts, for config.yaml ones too); disabling
        cancels its running runs at once, as Home Assistant's ``automation.turn_off`` does."""
        automation = self.get(automation_id)
        if not enabled:
            self.guard.hold(automation_id)  # takes effect now, before the store answers
            self.runs.cancel(automation_id)
        try:
            async with self._writing:
                automation = self.get(automation_id)
                if automation.enabled is enabled:
                    return automation
                automation = automation.model_copy(update={"enabled": enabled})
                if automation_id not in self.configured:
                    return await self._save(automation)
                if self.store is not None:
                    await self.store.put(STATE_COLLECTION, automation_id, {"enabled": enabled})
                self._install(automation)
                return automation
        finally:
            self.guard.release(automation_id)

    def traces(self, automation_id: str) -> list[dict[str, Any]]:
        """The last runs (newest first), with conditions-failed and skipped ones."""
        self.get(automation_id)
        return self.trace_log.of(automation_id)

    async def trace(self, automation_id: str, trace_id: str, wait: float = 0) -> dict[str, Any]:
        """One trace; with ``wait`` (seconds), once its run has finished, or as it is then."""
        self.get(automation_id)
        trace = self.trace_log.find(automation_id, trace_id)
        if trace is None:
            raise NotFound(f"no trace '{trace_id}' of automation '{automation_id}'")
        if wait > 0:
            await self.trace_log.finished(trace, wait)
        return trace

    def topic_filters(self) -> set[str]:
        """The MQTT topic filters the automations listen on (the app subscribes to them)."""
        return self.index.topic_filters()

    def _editable(self, automation_id: str) -> None:
        self.get(automation_id)
        if automation_id in self.configured:
            raise InvalidValue(
                f"automation '{automation_id}' is defined in config.yaml; edit it there"
            )

    def _install_configured(self, automation: Automation, switch: Mapping[str, Any] | None) -> None:
        """config.yaml's definition, with the enabled switch made over the API if there is one."""
        enabled = (switch or {}).get("enabled")
        if isinstance(enabled, bool):
            automation = automation.model_copy(update={"enabled": enabled})
        self.configured.add(automation.id)
        self._install(automation)

    def _install(self, automation: Automation) -> None:
        self._uninstall(automation.id)
        self.automations[automation.id] = automation
        if eager_safe(automation.action):
            self.runs.eager.add(automation.id)
        self.index.add(automation.id, automation.trigger)
        for index, trigger in enumerate(automation.trigger):
            self.clocks.add(Listener(automation.id, index, trigger))
        self._topics_changed()

    def _uninstall(self, automation_id: str) -> None:
        if self.automations.pop(automation_id, None) is None:
            return
        self.runs.eager.discard(automation_id)
        self.index.remove(automation_id)
        self.clocks.remove(automation_id)
        self.holds.drop(automation_id)
        self._topics_changed()

    def _topics_changed(self) -> None:
        """Tell the MQTT side the filters to subscribe to. A failure there (the broker down)
        must not undo a stored automation: the connection subscribes again when it is back."""
        if self.on_topics is not None and not self._loading:
            try:
                self.on_topics(self.index.topic_filters())
            except Exception:
                _LOGGER.exception("could not subscribe to the automations' MQTT topics")

    # ---- triggering -----------------------------------------------------------------------

    def _on_state(self, event: StateChanged) -> None:
        table = self.index.state
        for key in self.registry.keys_of(event.device_id) if table else ():
            for listener in table.get((key, event.feature), ()):
                trigger = listener.trigger
                if not isinstance(trigger, StateTrigger):
                    continue
                if trigger.for_ is not None:
                    self.holds.on_change(listener, trigger, event)
                elif crossed(trigger, event.value, event.old_value):
                    self._matched(listener, {
                        "platform": "state", "device": event.device_id, "feature": event.feature,
                        "value": event.value, "from": event.old_value,
                    })  # fmt: skip
        if self.waiters.entries:
            self.waiters.offer(event)

    def _on_device_event(self, event: DeviceEvent) -> None:
        table = self.index.event
        for key in self.registry.keys_of(event.device_id) if table else ():
            for listener in table.get((key, event.event), ()):
                trigger = listener.trigger
                if isinstance(trigger, EventTrigger) and all(
                    same(event.data.get(k), v) for k, v in trigger.data.items()
                ):
                    self._matched(listener, {"platform": "event", "device": event.device_id,
                                             "event": event.event, "data": event.data})  # fmt: skip
        if self.waiters.entries:
            self.waiters.offer(event)

    def _on_availability(self, event: DeviceOnline | DeviceOffline) -> None:
        state = "online" if isinstance(event, DeviceOnline) else "offline"
        table = self.index.availability
        for key in self.registry.keys_of(event.device_id) if table else ():
            for listener in table.get(key, ()):
                trigger = listener.trigger
                if isinstance(trigger, AvailabilityTrigger) and trigger.to == state:
                    self._matched(listener, {"platform": "availability",
                                             "device": event.device_id, "to": state})  # fmt: skip
        if self.waiters.entries:
            self.waiters.offer(event)

    def _on_mqtt(self, event: MqttMessage) -> None:
        index = self.index
        listeners = index.topics(event.topic) if index.wildcards else index.topic.get(event.topic)
        if listeners:
            for listener in listeners:
                trigger = listener.trigger
                if isinstance(trigger, MqttTrigger):
                    data = mqtt_data(trigger, event.topic, event.payload)
                    if data is not None:
                        self._matched(listener, data)
        if self.waiters.entries:
            self.waiters.offer(event)

    def fire_webhook(self, webhook_id: str, data: dict[str, Any] | None = None) -> int:
        """A webhook / API call; returns how many automations it triggered."""
        listeners = self.index.webhook.get(webhook_id, [])
        for listener in listeners:
            self._matched(listener, {"platform": "webhook", "webhook_id": webhook_id,
                                     "data": data or {}})  # fmt: skip
        if self.waiters.entries:
            self.waiters.offer(WebhookCall(webhook_id, data or {}))
        return len(listeners)

    def run_now(self, automation_id: str, data: dict[str, Any] | None = None) -> str:
        """Run the actions now, skipping triggers and conditions (the "run" button).
        Returns the trace id; the run follows the automation's mode."""
        automation = self.get(automation_id)
        trace = self.trace_log.new(automation.id, {"platform": "manual", **(data or {})})
        return self.runs.start(automation, trace)

    def _matched(self, listener: Listener, data: dict[str, Any]) -> None:
        automation = self.automations.get(listener.automation_id)
        if automation is None or not automation.enabled or not self.guard.allow(automation):
            return
        self.evaluations += 1
        data = {**data, "id": listener.trigger.id or str(listener.index)}
        trace = self.trace_log.new(automation.id, data)
        conditions = automation.condition
        try:
            if conditions and not self.checker.all(conditions, trace["conditions"], data):
                self.finish_trace(trace, "conditions_failed")
                return
        except Exception as exc:  # a trace never stays "running"
            _LOGGER.exception("automation %s: checking its conditions failed", automation.id)
            self.finish_trace(trace, "error", f"{type(exc).__name__}: {exc}")
            return
        self.runs.start(automation, trace)

    def _tripped(self, automation: Automation, count: int) -> None:
        """The loop guard stopped ``automation``: trace it, say so, and disable it."""
        message = (
            f"loop guard: {count} runs in {self.guard.window:g} s, more than "
            f"{automation.max_rate:g} a second; disabled (is it triggering itself?)"
        )
        _LOGGER.warning("automation %s: %s", automation.id, message)
        self.finish_trace(self.trace_log.new(automation.id, {"platform": "loop_guard"}),
                     "loop_guard", message)  # fmt: skip
        task = asyncio.get_running_loop().create_task(
            self.set_enabled(automation.id, False), name=f"guard-{automation.id}"
        )
        self._guarding.add(task)
        task.add_done_callback(functools.partial(self._guarded, automation.id))

    def _guarded(self, automation_id: str, task: asyncio.Task[Automation]) -> None:
        self._guarding.discard(task)
        self.guard.release(automation_id)
        if not task.cancelled() and task.exception() is not None:
            _LOGGER.error("automation %s: disabling it failed: %s", automation_id,
                          task.exception())  # fmt: skip

    def finish_trace(self, trace: dict[str, Any], result: str, error: str | None = None) -> None:
        self.trace_log.finish(trace, result, error)
        self.bus.publish(AutomationRan(trace["automation"], trace["id"], result))

    # ---- runs -----------------------------------------------------------------------------

    async def _execute(self, automation: Automation, run: Run) -> None:
        run.result = "done"
        try:
            actions = automation.action if run.step == 0 else automation.action[run.step :]
            await self.runner.sequence(run, actions, run.trace["actions"], top=run.step)
        except StopRun as stop:
            run.result, run.error = "stopped", str(stop) or None
        except HubError as exc:
            run.result, run.error = "error", str(exc)
        except Exception as exc:
            _LOGGER.exception("automation %s failed", automation.id)
            run.result, run.error = "error", f"{type(exc).__name__}: {exc}"
        except asyncio.CancelledError:
            run.result = "interrupted" if self.runs.stopping else "cancelled"
            raise

    async def delay(self, run: Run, seconds: float, durable: bool) -> None:
        """A ``delay`` action; a top-level one is stored first, so it survives a restart."""
        if durable and self.store is not None:
            run.delay_key = f"delay:{run.id}"
            at = time.time() + seconds
            await self.durable.remember(run.delay_key, {
                "kind": "delay", "automation": run.automation_id, "step": run.step,
                "at": at, "trigger": run.data,
            })  # fmt: skip
            seconds = max(0.0, at - time.time())
        await asyncio.sleep(seconds)
        if run.delay_key:
            self.durable.forget(run.delay_key)
            run.delay_key = None

    async def wait_for(self, triggers: list[Trigger], seconds: float) -> dict[str, Any] | None:
        """A ``wait`` action: the data of the first event matching one of ``triggers``."""
        return await self.waiters.wait(triggers, seconds)
