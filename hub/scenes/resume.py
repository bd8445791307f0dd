"""Durable timers after a restart (hub/scenes/timers.py stores them): a pending top-level
``delay`` resumes the rest of its action list when it would have ended (at once if that moment
passed); a pending ``for`` fires the automation when it would have, if the state still holds.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from hub.scenes.model import Automation, StateTrigger
from hub.scenes.triggers import Listener, holds

if TYPE_CHECKING:
    from hub.scenes.engine import AutomationEngine


class TimerResumer:
    def __init__(self, engine: AutomationEngine) -> None:
        self.engine = engine
        self._tasks: set[asyncio.Task[None]] = set()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def start(self) -> None:
        """Resume the stored timers whose automations still exist and are enabled."""
        for key, doc in (await self.engine.durable.all()).items():
            automation = self.engine.automations.get(str(doc.get("automation", "")))
            kind = doc.get("kind")
            if automation is None or not automation.enabled:
                self.engine.durable.forget(key)
            elif kind == "delay":
                trigger = {**doc.get("trigger", {}), "resumed": True}
                trace = self.engine.trace_log.new(automation.id, trigger)
                trace["result"] = "queued"
                resume = self._delay(automation, key, trace, int(doc["step"]) + 1, doc)
                task = asyncio.get_running_loop().create_task(resume, name=f"resume-{key}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            elif kind == "for":
                self._for(automation, key, doc)
            else:
                self.engine.durable.forget(key)

    def _for(self, automation: Automation, key: str, doc: dict[str, Any]) -> None:
        index = int(doc.get("index", -1))
        triggers = automation.trigger
        trigger = triggers[index] if 0 <= index < len(triggers) else None
        if isinstance(trigger, StateTrigger):
            device = self.engine.registry.find(trigger.device)
            if device is not None and holds(trigger, device.value(trigger.feature)):
                listener = Listener(automation.id, index, trigger)
                self.engine.holds.arm(listener, float(doc["at"]), doc.get("trigger", {}))
                return
        self.engine.durable.forget(key)

    async def _delay(
        self, automation: Automation, key: str, trace: dict[str, Any], step: int,
        doc: dict[str, Any],
    ) -> None:  # fmt: skip
        try:
            await asyncio.sleep(max(0.0, float(doc["at"]) - time.time()))
        except asyncio.CancelledError:
            self.engine.finish_trace(
                trace, "interrupted" if self.engine.runs.stopping else "cancelled"
            )
            raise
        self.engine.durable.forget(key)  # from here the run is an ordinary one
        if self.engine.automations.get(automation.id) is not automation:
            self.engine.finish_trace(
                trace, "cancelled", "the automation changed while the delay was due"
            )
        elif step < len(automation.action):
            self.engine.runs.start(automation, trace, step=step)
        else:
            self.engine.finish_trace(trace, "done")
