"""Runs of an automation, started eagerly: no task for a run that never has to wait.

Most runs on the hot path (an MQTT trigger, a payload condition, an MQTT reply at QoS 0)
finish without suspending: ``start_eagerly`` steps the run's coroutine at once, inside the
bus handler, and only when the coroutine really waits (a device command, a delay) wraps the
rest in a named task. Python 3.12 calls this an eager task; 3.11 lacks it, so this module
hands the suspended coroutine to the task through a small adapter that first gives the task
the future the coroutine is waiting on, then forwards every ``send`` / ``throw`` to it:
cancellation reaches the run exactly where it waits, as in any task.
"""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from collections.abc import Callable, Coroutine, Generator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from hub.errors import HubError
from hub.scenes.model import Automation, RunMode

MAX_RUN_STEPS = 100_000
"""Actions (and repeat iterations) one run may take; beyond, it ends as an error. Nested
repeats multiply (10,000 x 10,000 is allowed by each), this bounds their product."""
YIELD_EVERY = 50
"""A run lets the event loop breathe every this many steps, even when none of them waits."""

MAX_INLINE_DEPTH = 4
"""Runs started from inside another run's synchronous part (an action whose effect triggers
another automation at once) nest at most this deep; deeper ones start as tasks."""


@dataclass(slots=True, eq=False)
class Run:
    """One run of an automation's actions, from a trigger to its end."""

    id: str
    automation_id: str
    data: dict[str, Any]
    trace: dict[str, Any]
    step: int = 0
    """The index of the top-level action running now (a durable delay resumes after it)."""
    task: asyncio.Task[None] | None = None
    delay_key: str | None = None
    result: str = "cancelled"
    """How the run ended; stays "cancelled" when its task is cancelled."""
    error: str | None = None
    scratch: dict[str, Any] = field(default_factory=dict)
    steps: int = 0

    async def step_taken(self) -> None:
        """Count a step; every :data:`YIELD_EVERY` steps give the loop a turn, so a run that
        never waits (a repeat of notifications) cannot stall the hub; end the run beyond
        :data:`MAX_RUN_STEPS`."""
        self.steps += 1
        if self.steps % YIELD_EVERY == 0:
            if self.steps > MAX_RUN_STEPS:
                raise RunTooLong(f"more than {MAX_RUN_STEPS} steps in one run")
            await asyncio.sleep(0)


class RunTooLong(HubError):
    """A run took more steps than :data:`MAX_RUN_STEPS` allows."""


def start_eagerly(coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None] | None:
    """Run ``coro`` up to its first suspension; return the task that carries it on, or None
    when it finished without ever waiting. An exception it raised propagates here."""
    try:
        pending = coro.send(None)
    except StopIteration:
        return None
    loop = asyncio.get_running_loop()
    return loop.create_task(_Resumed(coro, pending), name=name)


class _Resumed(Coroutine[Any, Any, None]):
    """A coroutine already started: the task's first step receives what it was waiting on."""

    __slots__ = ("_coro", "_pending", "_started")

    def __init__(self, coro: Coroutine[Any, Any, None], pending: Any) -> None:
        self._coro = coro
        self._pending = pending
        self._started = False

    def send(self, value: Any) -> Any:
        if not self._started:
            self._started = True
            pending, self._pending = self._pending, None
            return pending
        return self._coro.send(value)

    def throw(
        self,
        typ: type[BaseException] | BaseException,
        val: BaseException | object = None,
        tb: TracebackType | None = None,
    ) -> Any:
        self._started = True
        self._pending = None
        if val is None and tb is None:
            return self._coro.throw(typ)
        return self._coro.throw(typ, val, tb)  # type: ignore[arg-type]

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, Any, None]:
        if not self._started:
            self._started = True
            yield self._pending
        return (yield from self._coro.__await__())


Execute = Callable[[Automation, Run], Coroutine[Any, Any, None]]
Finish = Callable[[dict[str, Any], str, "str | None"], None]


class Runs:
    """Every automation's runs, by its mode, as Home Assistant has them: ``single`` ignores a
    trigger while a run is going (a "skipped" trace), ``restart`` cancels the running one,
    ``queued`` runs one after another, ``parallel`` side by side; ``max`` bounds the last two.

    ``eager`` holds the ids of automations whose runs may start outside a task.
    """

    def __init__(self, execute: Execute, finish: Finish, forget: Callable[[str], None]) -> None:
        self.execute = execute
        self.finish = finish
        self.forget = forget
        self.eager: set[str] = set()
        self.total = 0
        self.stopping = False
        self._running: dict[str, list[Run]] = {}
        self._queued: dict[str, deque[Run]] = {}
        self._depth = 0

    def count(self, automation_id: str) -> int:
        return len(self._running.get(automation_id, ()))

    def start(self, automation: Automation, trace: dict[str, Any], step: int = 0) -> str:
        """Start (or queue, or skip) a run whose trace was opened; returns the trace id."""
        trace_id: str = trace["id"]
        run = Run(trace_id, automation.id, trace["trigger"], trace, step=step)
        running = self._running.get(automation.id)
        if running:
            mode = automation.mode
            if mode is RunMode.SINGLE:
                self.finish(trace, "skipped", "already running (mode: single)")
                return trace_id
            if mode is RunMode.RESTART:
                for other in running:
                    if other.task is not None:  # a run still in its synchronous part cannot be
                        other.task.cancel()  # cancelled; it ends on its own at its first wait
            elif mode is RunMode.QUEUED:
                queue = self._queued.setdefault(automation.id, deque())
                if len(queue) + len(running) >= automation.max:
                    self.finish(trace, "skipped", f"queue full (max {automation.max})")
                else:
                    trace["result"] = "queued"
                    queue.append(run)
                return trace_id
            elif len(running) >= automation.max:
                self.finish(trace, "skipped", f"{len(running)} runs already (max {automation.max})")
                return trace_id
        self._launch(automation, run)
        return trace_id

    def cancel(self, automation_id: str) -> None:
        """Cancel one automation's runs (disabled or deleted); its queued runs never start."""
        for run in self._queued.pop(automation_id, ()):
            self.finish(run.trace, "cancelled", None)
        for run in self._running.get(automation_id, ()):
            if run.task is not None:
                run.task.cancel()

    async def stop(self) -> None:
        """Cancel every run (their traces say "interrupted"); queued ones never start."""
        self.stopping = True
        tasks = [r.task for runs in self._running.values() for r in runs if r.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for queue in self._queued.values():
            for run in queue:
                self.finish(run.trace, "interrupted", None)
        self._queued.clear()

    def _launch(self, automation: Automation, run: Run) -> None:
        self.total += 1
        run.trace["result"] = "running"
        running = self._running.get(automation.id)
        if running is None:
            running = self._running[automation.id] = []
        running.append(run)
        coro = self.execute(automation, run)
        name = f"automation-{run.id}"
        if run.step or automation.id not in self.eager or self._depth >= MAX_INLINE_DEPTH:
            loop = asyncio.get_running_loop()
            task: asyncio.Task[None] | None = loop.create_task(coro, name=name)
        else:
            self._depth += 1
            try:
                task = start_eagerly(coro, name)
            except BaseException as exc:  # the run's trace must end however the run does
                run.error = f"{type(exc).__name__}: {exc}"
                run.result = "cancelled" if isinstance(exc, asyncio.CancelledError) else "error"
                self._reap(automation, run)
                if not isinstance(exc, Exception | asyncio.CancelledError):
                    raise
                return
            finally:
                self._depth -= 1
        if task is None:
            self._reap(automation, run)
        else:
            run.task = task
            task.add_done_callback(functools.partial(self._reaped, automation, run))

    def _reaped(self, automation: Automation, run: Run, task: asyncio.Task[None]) -> None:
        if task.cancelled():  # perhaps before its first step, when nothing could say so
            run.result = "interrupted" if self.stopping else "cancelled"
        self._reap(automation, run)

    def _reap(self, automation: Automation, run: Run) -> None:
        """Bookkeeping when a run ends, however it ends."""
        running = self._running.get(automation.id)
        if running is not None:
            running.remove(run)
            if not running:
                del self._running[automation.id]
        if run.delay_key and not self.stopping:
            self.forget(run.delay_key)  # a cancelled delay must not resume after a restart
        self.finish(run.trace, run.result, run.error)
        queue = self._queued.get(automation.id)
        if queue and not self.stopping:
            self._launch(automation, queue.popleft())
