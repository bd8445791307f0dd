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

Durable timers (hub/scenes/timers.py): a pending top-level ``delay`` and a pending ``for``
survive a restart. A delay resumes the rest of the action list from the step after it, when
it would have ended (at once if that moment passed); a ``for`` fires the automation when it
would have, if the state still holds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
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
    new_id,
    parse_automation,
)
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
    holds,
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
        self.runs = Runs(self._execute, self._finish, self.durable.forget)
        self.waiters = Waiters(registry.keys_of)
        self.evaluations = 0
        """Trigger matches evaluated (conditions checked): the trigger index's test counter."""
        self._resuming: set[asyncio.Task[None]] = set()
        self._unsubscribe: list[Callable[[], None]] = []
        self._loading = False
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

    async def start(self, configured: list[dict[str, Any]] | None = None) -> None:
        """Load stored automations, then config.yaml's (they win on the same id), resume
        durable timers, and fire the ``start`` triggers.

        A config.yaml automation that does not validate raises :class:`InvalidDefinition`
        (naming it and the field) before anything starts; a stored one is logged and skipped.
        """
        from_config = [
            parse_automation(data, f"automations[{number}]")
            for number, data in enumerate(configured or [])
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
                enabled = overrides.get(automation.id, {}).get("enabled")
                if isinstance(enabled, bool):
                    automation = automation.model_copy(update={"enabled": enabled})
                self.configured.add(automation.id)
                self._install(automation)
            await self.trace_log.start()
        except BaseException:
            await self.clocks.stop()
            raise
        finally:
            self._loading = False
        self._topics_changed()
        subscribe = self.bus.subscribe
        self._unsubscribe = [
            subscribe(StateChanged, self._on_state),
            subscribe(DeviceEvent, self._on_device_event),
            subscribe(DeviceOnline, self._on_availability),
            subscribe(DeviceOffline, self._on_availability),
            subscribe(MqttMessage, self._on_mqtt),
        ]
        await self._resume_timers()
        for listener in list(self.index.start):
            self._matched(listener, {"platform": "start"})

    async def stop(self) -> None:
        self.runs.stopping = True
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self.holds.close()
        await self.clocks.stop()
        for task in self._resuming:
            task.cancel()
        await asyncio.gather(*self._resuming, return_exceptions=True)
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
        """A new automation (validated; errors name it and the field). Raises DuplicateId."""
        if not isinstance(data, Automation):
            body = dict(data)
            if not body.get("id"):
                body["id"] = new_id(str(body.get("alias") or ""), self.automations, "automation")
            data = parse_automation(body)
        if data.id in self.automations:
            raise DuplicateId(f"an automation '{data.id}' exists already")
        return await self.save(data)

    async def update(self, automation_id: str, data: Mapping[str, Any] | Automation) -> Automation:
        """Replace an automation's definition (the id stays); its pending timers are dropped."""
        self._editable(automation_id)
        if not isinstance(data, Automation):
            data = parse_automation({**data, "id": automation_id})
        elif data.id != automation_id:
            raise InvalidValue(f"automation id '{data.id}' does not match '{automation_id}'")
        return await self.save(data)

    async def save(self, automation: Automation) -> Automation:
        """Create or replace (persisted)."""
        self._install(automation)
        if self.store is not None:
            doc = automation.model_dump(mode="json", by_alias=True, exclude_none=True)
            await self.store.put(COLLECTION, automation.id, doc)
        return automation

    async def delete(self, automation_id: str) -> None:
        """Remove it; its running runs are cancelled."""
        self._editable(automation_id)
        self._uninstall(automation_id)
        self.runs.cancel(automation_id)
        self.trace_log.forget(automation_id)
        if self.store is not None:
            await self.store.delete(COLLECTION, automation_id)

    async def set_enabled(self, automation_id: str, enabled: bool) -> Automation:
        """Enable or disable (remembered across restarts, for config.yaml ones too); disabling
        cancels its running runs, as Home Assistant's ``automation.turn_off`` does."""
        automation = self.get(automation_id)
        if automation.enabled is enabled:
            return automation
        if not enabled:
            self.runs.cancel(automation_id)
        automation = automation.model_copy(update={"enabled": enabled})
        if automation_id not in self.configured:
            return await self.save(automation)
        self._install(automation)
        if self.store is not None:
            await self.store.put(STATE_COLLECTION, automation_id, {"enabled": enabled})
        return automation

    def traces(self, automation_id: str) -> list[dict[str, Any]]:
        """The last runs (newest first), with conditions-failed and skipped ones."""
        self.get(automation_id)
        return self.trace_log.of(automation_id)

    def topic_filters(self) -> set[str]:
        """The MQTT topic filters the automations listen on (the app subscribes to them)."""
        return self.index.topic_filters()

    def _editable(self, automation_id: str) -> None:
        self.get(automation_id)
        if automation_id in self.configured:
            raise InvalidValue(
                f"automation '{automation_id}' is defined in config.yaml; edit it there"
            )

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
        if self.on_topics is not None and not self._loading:
            self.on_topics(self.index.topic_filters())

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
        if automation is None or not automation.enabled:
            return
        self.evaluations += 1
        data = {**data, "id": listener.trigger.id or str(listener.index)}
        trace = self.trace_log.new(automation.id, data)
        conditions = automation.condition
        if conditions and not self.checker.all(conditions, trace["conditions"], data):
            self._finish(trace, "conditions_failed")
            return
        self.runs.start(automation, trace)

    def _finish(self, trace: dict[str, Any], result: str, error: str | None = None) -> None:
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

    # ---- durable timers after a restart ---------------------------------------------------

    async def _resume_timers(self) -> None:
        for key, doc in (await self.durable.all()).items():
            automation = self.automations.get(str(doc.get("automation", "")))
            kind = doc.get("kind")
            if automation is None or not automation.enabled:
                self.durable.forget(key)
            elif kind == "delay":
                trigger = {**doc.get("trigger", {}), "resumed": True}
                trace = self.trace_log.new(automation.id, trigger)
                trace["result"] = "queued"
                resume = self._resume_delay(automation, key, trace, int(doc["step"]) + 1, doc)
                task = asyncio.get_running_loop().create_task(resume, name=f"resume-{key}")
                self._resuming.add(task)
                task.add_done_callback(self._resuming.discard)
            elif kind == "for":
                self._resume_for(automation, key, doc)
            else:
                self.durable.forget(key)

    def _resume_for(self, automation: Automation, key: str, doc: dict[str, Any]) -> None:
        index = int(doc.get("index", -1))
        triggers = automation.trigger
        trigger = triggers[index] if 0 <= index < len(triggers) else None
        if isinstance(trigger, StateTrigger):
            device = self.registry.find(trigger.device)
            if device is not None and holds(trigger, device.value(trigger.feature)):
                listener = Listener(automation.id, index, trigger)
                self.holds.arm(listener, float(doc["at"]), doc.get("trigger", {}))
                return
        self.durable.forget(key)

    async def _resume_delay(
        self, automation: Automation, key: str, trace: dict[str, Any], step: int,
        doc: dict[str, Any],
    ) -> None:  # fmt: skip
        await asyncio.sleep(max(0.0, float(doc["at"]) - time.time()))
        self.durable.forget(key)  # from here the run is an ordinary one
        if self.automations.get(automation.id) is not automation:
            self._finish(trace, "cancelled", "the automation changed while the delay was due")
        elif step < len(automation.action):
            self.runs.start(automation, trace, step=step)
        else:
            self._finish(trace, "done")
