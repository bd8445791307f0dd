"""How soon to try the broker again: capped, jittered exponential backoff.

A policy object of its own (aioesphomeapi's ``ReconnectLogic``) so the connection only asks
"how long now?" and "it worked". The defaults retry fast: a home broker that restarts (an
update, a power cut) is back within a second or two, and a refused connect on a LAN costs
nothing, so the cap sits near one second instead of the minutes a cloud client would use.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(slots=True)
class ReconnectPolicy:
    """``next_delay()`` grows from ``initial`` by ``factor`` up to ``cap``, +-``jitter``."""

    initial: float = 0.05
    cap: float = 1.0
    factor: float = 2.0
    jitter: float = 0.1
    """Fraction of the delay added or removed at random, so many hubs do not retry in step."""
    attempts: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if not 0 < self.initial <= self.cap:
            raise ValueError("reconnect delays need 0 < initial <= cap")
        if self.factor < 1 or not 0 <= self.jitter < 1:
            raise ValueError("reconnect factor must be >= 1 and jitter in [0, 1)")

    def next_delay(self) -> float:
        """The wait before the next attempt; each call counts one more failed attempt."""
        base = min(self.cap, self.initial * self.factor ** min(self.attempts, 32))
        self.attempts += 1
        return base * (1 + random.uniform(-self.jitter, self.jitter))

    def reset(self) -> None:
        """The connection worked: the next failure starts again from ``initial``."""
        self.attempts = 0
