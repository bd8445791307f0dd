"""The recorder: every state change and every command on the bus goes into history, with
its origin; numeric changes also feed 5-minute statistics.

Bus handlers only append a tuple to a list (no task, no queue, nothing dropped under load
until ``max_pending`` rows wait). Rows are written in one transaction every
``commit_interval`` seconds (on the clock's minute when it is 60), or as soon as
``batch_rows`` wait, and never when there is nothing new: an idle home writes almost
nothing, which spares an SD card.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from hub.bus import CommandSent, EventBus, StateChanged
from hub.history.backend import EventRow, HistoryBackend
from hub.history.retention import Retention
from hub.history.schema import BLOCK_MS, COMMAND, ORIGIN_CODES, STATE
from hub.history.statistics import Bucket, BucketAccumulator

_LOGGER = logging.getLogger(__name__)


class HistoryRecorder:
    def __init__(
        self,
        bus: EventBus,
        db: HistoryBackend,
        *,
        commit_interval: float = 60.0,
        batch_rows: int = 1000,
        retention: Retention | None = None,
        max_pending: int = 100_000,
    ) -> None:
        self.bus = bus
        self.db = db
        self.commit_interval = commit_interval
        self.batch_rows = batch_rows
        self.retention = retention or Retention()
        self.max_pending = max_pending
        self._ids: dict[tuple[str, str], int] = {}
        self._next_entity = 1
        self._new_entities: list[tuple[int, str, str]] = []
        self._events: list[EventRow] = []
        self._buckets: list[Bucket] = []
        self._open: dict[int, BucketAccumulator] = {}
        self._last_ms: dict[int, int] = {}
        self._recent_states: dict[int, deque[tuple[float, int]]] = {}
        """Each feature's last few state rows (time, stored ms): a command is published when it
        ends, after the change it caused, so it is placed after the change before it."""
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribes: list[Callable[[], None]] = []
        self.recorded = 0
        self.dropped = 0
        self.commits = 0

    async def start(self) -> None:
        self._ids = await self.db.open()
        self._next_entity = max(self._ids.values(), default=self.db.first_entity) + 1
        self._unsubscribes = [
            self.bus.subscribe(StateChanged, self._on_state),
            self.bus.subscribe(CommandSent, self._on_command),
        ]
        self._tasks = [
            asyncio.create_task(self._commit_loop(), name="history-commits"),
            asyncio.create_task(self.retention.run(self.db), name="history-retention"),
        ]

    async def stop(self) -> None:
        for unsubscribe in self._unsubscribes:
            unsubscribe()
        self._unsubscribes = []
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        now = time.time()
        for accumulator in self._open.values():
            bucket = accumulator.close_now(now)
            if bucket is not None:
                self._buckets.append(bucket)
        await self.flush(now)
        await self.db.close()

    async def __aenter__(self) -> HistoryRecorder:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def pending(self) -> int:
        return len(self._events) + len(self._buckets)

    # ---- bus handlers (synchronous, cheap) -------------------------------------------------

    def _entity(self, device_id: str, feature: str) -> int:
        key = (device_id, feature)
        entity = self._ids.get(key)
        if entity is None:
            entity = self._ids[key] = self._next_entity
            self._next_entity += 1
            self._new_entities.append((entity, device_id, feature))
        return entity

    def _on_state(self, event: StateChanged) -> None:
        at = event.at or time.time()
        origin = ORIGIN_CODES[event.origin]
        entity = self._append(event.device_id, event.feature, at, STATE, event.value, origin)
        value = event.value
        if entity and type(value) in (int, float) and math.isfinite(value):
            accumulator = self._open.get(entity)
            if accumulator is None:
                accumulator = self._open[entity] = BucketAccumulator(entity)
            finished = accumulator.add(at, float(value))
            if finished is not None:
                self._buckets.append(finished)

    def _on_command(self, event: CommandSent) -> None:
        at, origin = event.at or time.time(), ORIGIN_CODES[event.origin]
        self._append(event.device_id, event.feature, at, COMMAND, event.value, origin, event.status)

    def _append(
        self,
        device_id: str,
        feature: str,
        at: float,
        kind: int,
        value: Any,
        origin: int,
        status: str | None = None,
    ) -> int:
        """Queue one raw row; returns its entity, or 0 when the row had to be dropped."""
        if len(self._events) >= self.max_pending:
            if not self.dropped:
                _LOGGER.warning("history is falling behind: dropping rows (counted)")
            self.dropped += 1
            return 0
        entity = self._entity(device_id, feature)
        at_ms = int(at * 1000)
        if kind == COMMAND:
            # Within one millisecond rows sort commands first, as a command comes before the
            # change it causes. A command sent after a change already recorded sorts after it.
            before = [ms for state_at, ms in self._recent_states.get(entity, ()) if state_at < at]
            if before and at_ms <= max(before):
                at_ms = max(before) + 1
        key = entity * 2 + kind
        last = self._last_ms.get(key, 0)
        if at_ms <= last:  # a feature's rows are keyed by their millisecond: keep them apart
            at_ms = last + 1
        self._last_ms[key] = at_ms
        if kind == STATE:
            recent = self._recent_states.get(entity)
            if recent is None:
                recent = self._recent_states[entity] = deque(maxlen=4)
            recent.append((at, at_ms))
        stored, is_bool = _storable(value)
        row = (at_ms // BLOCK_MS, entity, at_ms, kind, stored, is_bool, origin, status)
        self._events.append(row)
        if len(self._events) >= self.batch_rows:
            self._wake.set()
        return entity

    # ---- writing ---------------------------------------------------------------------------

    async def flush(self, now: float | None = None) -> int:
        """Write what waits (and the 5-minute buckets that have ended) in one transaction."""
        now = time.time() if now is None else now
        for accumulator in self._open.values():
            bucket = accumulator.close_due(now)
            if bucket is not None:
                self._buckets.append(bucket)
        if not (self._events or self._buckets or self._new_entities):
            return 0
        entities, self._new_entities = self._new_entities, []
        events, self._events = self._events, []
        events.sort()  # in key order, rows append to full pages instead of splitting them
        buckets, self._buckets = self._buckets, []
        try:
            await self.db.write(entities, events, buckets)
        except Exception:
            self._new_entities = entities + self._new_entities
            self._events = events + self._events
            self._buckets = buckets + self._buckets
            raise
        self.commits += 1
        self.recorded += len(events)
        return len(events) + len(buckets)

    async def _commit_loop(self) -> None:
        while True:
            # on the interval's boundaries of the clock: a commit then holds whole raw blocks
            delay = self.commit_interval - time.time() % self.commit_interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:  # keep recording; the next commit retries what waits
                _LOGGER.exception("writing history failed")


def _storable(value: Any) -> tuple[Any, int]:
    """A value as SQLite keeps it, and whether it was a bool (SQLite has none)."""
    if isinstance(value, bool):
        return int(value), 1
    if value is None or isinstance(value, int | float | str):
        return value, 0
    return json.dumps(value, default=str), 0
