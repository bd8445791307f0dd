"""One timer polls every miIO device.

A task per device sleeping its own interval costs the event loop a wake-up, a timer and a
wait per device per poll: at 1,000 devices every 10 s that was more than half the hub's
polling CPU (bench/miio_roundtrip.py: 7.1-8.7 % of a core, against 3.0-3.3 % with this).
Here one task sleeps until the earliest device is due and starts every poll that is due.
Due times are rounded up to a grid of ``batch`` seconds, so devices due close together are
polled in one wake: a poll is never early and at most ``batch`` late. A hurried device (a
command, a push) is polled at once. Each device still decides its own rhythm: ``cycle()``
polls once and returns the seconds until its next poll.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Protocol

_LOGGER = logging.getLogger(__name__)


class Pollable(Protocol):
    name: str

    async def cycle(self) -> float:
        """Poll once; the seconds until the next poll."""
        ...


class PollScheduler:
    def __init__(self, batch: float = 0.5, retry: float = 30.0) -> None:
        self.batch = batch
        self.retry = retry
        """Seconds before polling again an item whose ``cycle()`` raised (a bug, logged)."""
        self._due: dict[Pollable, float] = {}
        self._running: dict[Pollable, asyncio.Task[None]] = {}
        self._hurried: set[Pollable] = set()
        self._waiter: asyncio.Future[None] | None = None
        self._planned = math.inf
        self._task: asyncio.Task[None] | None = None

    def add(self, item: Pollable, delay: float) -> None:
        """Poll ``item`` in ``delay`` seconds (0: now), then as its ``cycle()`` says."""
        loop = asyncio.get_running_loop()
        if self._task is None:
            self._task = loop.create_task(self._run(), name="miio-poll-scheduler")
        now = loop.time()
        self._plan(item, now if delay <= 0 else self._slot(now + delay))

    def hurry(self, item: Pollable) -> None:
        """Poll ``item`` now (or again as soon as its running poll ends)."""
        if item in self._running:
            self._hurried.add(item)
        elif item in self._due:
            self._plan(item, asyncio.get_running_loop().time())

    def due_in(self, item: Pollable) -> float | None:
        """Seconds until ``item``'s next cycle (0 while one runs); None when not scheduled."""
        if item in self._running:
            return 0.0
        due = self._due.get(item)
        return None if due is None else max(0.0, due - asyncio.get_running_loop().time())

    async def remove(self, item: Pollable) -> None:
        self._due.pop(item, None)
        self._hurried.discard(item)
        task = self._running.pop(item, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def stop(self) -> None:
        for item in list(self._due):
            await self.remove(item)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def _slot(self, at: float) -> float:
        return math.ceil(at / self.batch) * self.batch

    def _plan(self, item: Pollable, at: float) -> None:
        self._due[item] = at
        if at < self._planned:
            self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            horizon, planned = now + 0.002, math.inf  # a timer may fire a hair early
            for item, due in self._due.items():
                if item in self._running:
                    continue
                if due <= horizon:
                    self._running[item] = loop.create_task(self._poll(item), name=item.name)
                else:
                    planned = min(planned, due)
            self._planned = planned
            # A bare future and one timer: asyncio.wait_for would add a task per wake, and in
            # Python 3.11 it can swallow a cancellation that races the wake-up.
            self._waiter = loop.create_future()
            timer = None if planned == math.inf else loop.call_at(planned, self._wake)
            try:
                await self._waiter
            finally:
                self._waiter = None
                if timer is not None:
                    timer.cancel()

    async def _poll(self, item: Pollable) -> None:
        delay = self.retry
        try:
            delay = await item.cycle()
        except Exception:
            _LOGGER.exception("%s: polling failed", item.name)
        finally:
            self._running.pop(item, None)
        if item in self._hurried:
            self._hurried.discard(item)
            delay = 0.0
        if item in self._due:
            now = asyncio.get_running_loop().time()
            self._plan(item, now if delay <= 0 else self._slot(now + delay))
