"""How long to wait before trying again: capped, jittered exponential backoff.

One policy for every retry loop in the hub (aioesphomeapi's ``ReconnectLogic``): a caller
asks "how long now?" and says "it worked"; the numbers are the caller's. ``delay(attempt)``
is the same curve without the counter, for loops that count attempts themselves.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    """``next_delay()`` grows from ``initial`` by ``factor`` up to ``cap``, +-``jitter``."""

    initial: float = 1.0
    cap: float = 60.0
    factor: float = 2.0
    jitter: float = 0.1
    """Fraction of the delay added or removed at random, so many clients do not retry in step."""
    attempts: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if not 0 < self.initial <= self.cap:
            raise ValueError("backoff delays need 0 < initial <= cap")
        if self.factor < 1 or not 0 <= self.jitter < 1:
            raise ValueError("backoff factor must be >= 1 and jitter in [0, 1)")

    def delay(self, attempt: int) -> float:
        """The wait after ``attempt`` failures in a row (1 = the first failure)."""
        base = min(self.cap, self.initial * self.factor ** min(max(attempt - 1, 0), 32))
        return base * (1 + random.uniform(-self.jitter, self.jitter))

    def next_delay(self) -> float:
        """The wait before the next attempt; each call counts one more failed attempt."""
        self.attempts += 1
        return self.delay(self.attempts)

    def reset(self) -> None:
        """It worked: the next failure starts again from ``initial``."""
        self.attempts = 0
