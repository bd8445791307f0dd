"""Faults a simulated device can be switched into while it runs."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Faults:
    loss: float = 0.0
    """Fraction (0..1) of incoming packets silently dropped."""
    latency: float = 0.0
    """Seconds added before every reply."""
    offline: bool = False
    """No reply to anything, the hello included."""
    slow_reply: float = 0.0
    """Seconds before replying to requests (set it past the client's timeout)."""
    busy_replies: int = 0
    """The next N requests get the firmware's 'busy' error (-9999) instead of an answer."""
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def drops(self) -> bool:
        return self.offline or (self.loss > 0 and self.rng.random() < self.loss)
