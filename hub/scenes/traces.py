"""Traces: what each run of an automation saw and did, the last N per automation.

A trace is a plain JSON-ready dict (the API returns it as is)::

    {"id": "lights-12", "automation": "lights", "trigger": {...the trigger's data...},
     "started": 1763800000.1, "ms": 1.9, "result": "done",
     "conditions": [{"condition": "numeric", "device": .., "saw": 21.5, "result": true}],
     "actions": [{"action": "set", ..., "result": "confirmed", "ms": 1.2}]}

``result`` is one of running, queued, done, conditions_failed, skipped, stopped, error,
cancelled, interrupted (the hub stopped during the run). Traces are kept in memory and
written to the store (collection "traces", one document per automation) at most every
``save_interval`` seconds, so they survive a restart without costing the hot path a write.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections import deque
from typing import Any

from hub.store import Store

_LOGGER = logging.getLogger(__name__)
COLLECTION = "traces"
UNFINISHED = ("running", "queued")


class TraceLog:
    def __init__(self, store: Store | None, limit: int = 10, save_interval: float = 2.0) -> None:
        self.store = store
        self.limit = limit
        self.save_interval = save_interval
        self._traces: dict[str, deque[dict[str, Any]]] = {}
        self._dirty: set[str] = set()
        self._ids = itertools.count(1)
        self._saver: asyncio.Task[None] | None = None
        self._waiting: dict[str, asyncio.Future[None]] = {}

    async def start(self) -> None:
        """Load the stored traces (an unfinished run became "interrupted") and start saving."""
        if self.store is None:
            return
        for automation_id, doc in (await self.store.all(COLLECTION)).items():
            kept = self._deque(automation_id)
            for trace in doc.get("traces", [])[-self.limit :]:
                if trace.get("result") in UNFINISHED:
                    trace["result"] = "interrupted"
                kept.append(trace)
            number = str(kept[-1].get("id", "")).rpartition("-")[2] if kept else ""
            if number.isdigit():
                self._ids = itertools.count(max(next(self._ids), int(number) + 1))
        self._saver = asyncio.get_running_loop().create_task(self._save_loop(), name="traces")

    async def stop(self) -> None:
        if self._saver is not None:
            self._saver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._saver
            self._saver = None
        self.save()

    def _deque(self, automation_id: str) -> deque[dict[str, Any]]:
        kept = self._traces.get(automation_id)
        if kept is None:
            kept = self._traces[automation_id] = deque(maxlen=self.limit)
        return kept

    def new(self, automation_id: str, trigger: dict[str, Any]) -> dict[str, Any]:
        trace: dict[str, Any] = {
            "id": f"{automation_id}-{next(self._ids)}",
            "automation": automation_id,
            "trigger": trigger,
            "started": time.time(),
            "conditions": [],
            "actions": [],
            "result": "running",
        }
        self._deque(automation_id).append(trace)
        return trace

    def finish(self, trace: dict[str, Any], result: str, error: str | None = None) -> None:
        trace["result"] = result
        trace["ms"] = round((time.time() - trace["started"]) * 1000, 3)
        if error:
            trace["error"] = error
        self._dirty.add(trace["automation"])
        waiter = self._waiting.pop(trace["id"], None) if self._waiting else None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def find(self, automation_id: str, trace_id: str) -> dict[str, Any] | None:
        for trace in self._traces.get(automation_id, ()):
            if trace["id"] == trace_id:
                return trace
        return None

    async def finished(self, trace: dict[str, Any], seconds: float) -> None:
        """Wait until ``trace``'s run has finished (or ``seconds`` have passed)."""
        if trace["result"] not in UNFINISHED:
            return
        waiter = self._waiting.get(trace["id"])
        if waiter is None:
            waiter = self._waiting[trace["id"]] = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(seconds):
                await asyncio.shield(waiter)
        except TimeoutError:
            pass
        finally:
            if trace["result"] not in UNFINISHED or waiter.done():
                self._waiting.pop(trace["id"], None)

    def of(self, automation_id: str) -> list[dict[str, Any]]:
        """Newest first."""
        return list(reversed(self._traces.get(automation_id, ())))

    def forget(self, automation_id: str) -> None:
        self._traces.pop(automation_id, None)
        self._dirty.discard(automation_id)
        if self.store is not None:
            self.store.put_later(COLLECTION, automation_id, None)

    def save(self) -> None:
        """Hand the changed automations' traces to the store (it writes them in its batch)."""
        if self.store is None or not self._dirty:
            return
        dirty, self._dirty = self._dirty, set()
        for automation_id in dirty:
            kept = self._traces.get(automation_id)
            if kept is None:
                continue
            # A round trip through JSON: the store's batch must never meet a value it cannot
            # write (an adapter's exotic event data), or it would lose other documents too.
            doc = json.loads(json.dumps({"traces": list(kept)}, default=str))
            self.store.put_later(COLLECTION, automation_id, doc)

    async def _save_loop(self) -> None:
        while True:
            await asyncio.sleep(self.save_interval)
            try:
                self.save()
            except Exception:  # keep the engine running; the next round tries again
                _LOGGER.exception("saving automation traces failed")
