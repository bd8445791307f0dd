"""Durable timers: pending delays and ``for`` timers, kept in the store across restarts.

Semantics after a restart (documented for users in the engine's docstring too):

- a pending top-level ``delay`` resumes: the rest of the action list runs from the step after
  the delay, when the delay would have ended (at once if that moment passed while the hub
  was down), in a new trace whose trigger data is the original's plus ``"resumed": true``;
- a pending ``for`` timer fires the automation when it would have, if the device's state
  still holds (its last known value); otherwise it is dropped.

Documents live in the store's "timers" collection, keyed ``delay:<run id>`` and
``for:<automation id>:<trigger index>``, each with the wall-clock moment ``at``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from hub.bus import StateChanged
from hub.scenes.model import StateTrigger
from hub.scenes.triggers import Listener, crossed, holds
from hub.store import Store

COLLECTION = "timers"


def _safe(doc: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(doc, default=str))
    return result


class DurableTimers:
    def __init__(self, store: Store | None) -> None:
        self.store = store

    async def remember(self, key: str, doc: dict[str, Any]) -> None:
        """Write now: a delay must be on disk before the hub can be stopped during it."""
        if self.store is not None:
            await self.store.put(COLLECTION, key, _safe(doc))

    def remember_soon(self, key: str, doc: dict[str, Any]) -> None:
        """Write in the store's next batch (within its flush interval, and on close)."""
        if self.store is not None:
            self.store.put_later(COLLECTION, key, _safe(doc))

    def forget(self, key: str) -> None:
        if self.store is not None:
            self.store.put_later(COLLECTION, key, None)

    async def all(self) -> dict[str, dict[str, Any]]:
        return {} if self.store is None else await self.store.all(COLLECTION)


def hold_key(automation_id: str, index: int) -> str:
    return f"for:{automation_id}:{index}"


class HoldTimers:
    """``for``: a state trigger fires only once its state has held for a while.

    Crossing into the state arms a timer; leaving it disarms the timer. A trigger with no
    ``to`` / ``above`` / ``below`` waits for the value to stay unchanged, so every change
    re-arms it.
    """

    def __init__(
        self, durable: DurableTimers, fire: Callable[[Listener, dict[str, Any]], None]
    ) -> None:
        self.durable = durable
        self.fire = fire
        self._handles: dict[tuple[str, int], asyncio.TimerHandle] = {}

    def on_change(self, listener: Listener, trigger: StateTrigger, event: StateChanged) -> None:
        key = (listener.automation_id, listener.index)
        handle = self._handles.get(key)
        if handle is not None:
            bounds = (trigger.to, trigger.above, trigger.below)
            if any(b is not None for b in bounds) and holds(trigger, event.value):
                return  # still in the state: keep counting
            self.cancel(key)
        if crossed(trigger, event.value, event.old_value) and trigger.for_ is not None:
            data = {"platform": "state", "device": event.device_id, "feature": event.feature,
                    "value": event.value, "from": event.old_value, "for": trigger.for_}  # fmt: skip
            at = time.time() + trigger.for_
            self.arm(listener, at, data)
            doc = {"kind": "for", "automation": key[0], "index": key[1], "at": at, "trigger": data}
            self.durable.remember_soon(hold_key(*key), doc)

    def arm(self, listener: Listener, at: float, data: dict[str, Any]) -> None:
        key = (listener.automation_id, listener.index)

        def fire() -> None:
            self._handles.pop(key, None)
            self.durable.forget(hold_key(*key))
            self.fire(listener, data)

        loop = asyncio.get_running_loop()
        self._handles[key] = loop.call_later(max(0.0, at - time.time()), fire)

    def cancel(self, key: tuple[str, int]) -> None:
        handle = self._handles.pop(key, None)
        if handle is not None:
            handle.cancel()
            self.durable.forget(hold_key(*key))

    def drop(self, automation_id: str) -> None:
        """The automation changed or went away: its timers go too (in the store as well)."""
        for key in [k for k in self._handles if k[0] == automation_id]:
            self.cancel(key)

    def close(self) -> None:
        """The hub stops: stop counting, but keep the stored timers for the next start."""
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()

    @property
    def armed(self) -> int:
        return len(self._handles)
