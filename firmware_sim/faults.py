"""Faults a simulated device can be switched into while it runs.

``dev.faults.loss = 0.3`` and so on take effect on the next packet. Faults that change the
device itself rather than its link live on the device: ``dev.reboot()`` (stamp from 0,
subscriptions and seen message ids lost) and ``dev.change_token()`` (as after re-pairing).
Refusing a repeated message id is not a fault: real firmware always does it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(slots=True)
class Faults:
    loss: float = 0.0
    """Share (0..1) of incoming packets silently dropped, hellos and acks included."""
    latency: float = 0.0
    """Seconds added before every reply, the hello's included."""
    offline: bool = False
    """Nothing in, nothing out: no reply to anything (the hello included), no pushes."""
    slow_reply: float = 0.0
    """Seconds before answering a request (set it past a client's timeout); hellos are quick."""
    busy_replies: int = 0
    """The next N requests get the firmware's 'busy' error (-9999) instead of an answer."""
    rng: random.Random = field(default_factory=random.Random, repr=False)
    """Seed it (``faults.rng.seed(1)``) for a loss pattern that repeats."""

    def drops(self) -> bool:
        """Whether the next incoming packet is lost."""
        return self.offline or (self.loss > 0 and self.rng.random() < self.loss)

    @property
    def reply_delay(self) -> float:
        return self.latency + self.slow_reply

    def clear(self) -> None:
        """Back to a healthy device."""
        self.loss = self.latency = self.slow_reply = 0.0
        self.offline = False
        self.busy_replies = 0
