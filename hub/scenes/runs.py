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
from collections.abc import Coroutine, Generator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any


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
