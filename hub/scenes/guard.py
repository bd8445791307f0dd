"""The loop guard: an automation that triggers itself (a publish to its own topic, a set of
the feature it watches) would run as fast as the hub can go and starve everything else.

Each automation may run at most ``max_rate`` times a second, counted over a window of
:data:`WINDOW` seconds. Beyond that the guard stops it at once (later triggers are dropped)
and tells its owner, which traces it, logs a WARNING and disables the automation.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from hub.scenes.model import Automation

WINDOW = 5.0
"""Seconds over which an automation's rate is counted."""


class LoopGuard:
    def __init__(
        self,
        tripped: Callable[[Automation, int], None],
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tripped = tripped
        self.window = window
        self.clock = clock
        self._counts: dict[str, tuple[float, int]] = {}
        self._held: Counter[str] = Counter()

    def allow(self, automation: Automation) -> bool:
        """Count one run of ``automation``; False when it must not run (held or tripped)."""
        key = automation.id
        if self._held[key] > 0:
            return False
        now = self.clock()
        start, count = self._counts.get(key, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        count += 1
        if count > automation.max_rate * self.window:
            self._counts.pop(key, None)
            self.hold(key)
            self.tripped(automation, count)
            return False
        self._counts[key] = (start, count)
        return True

    def hold(self, automation_id: str) -> None:
        """Drop the automation's triggers until :meth:`release` (a disable in progress)."""
        self._held[automation_id] += 1

    def release(self, automation_id: str) -> None:
        self._held[automation_id] -= 1
        if self._held[automation_id] <= 0:
            del self._held[automation_id]

    def forget(self, automation_id: str) -> None:
        self._counts.pop(automation_id, None)
