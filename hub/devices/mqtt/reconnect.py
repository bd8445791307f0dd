"""How soon to try the broker again: the hub's one :class:`~hub.backoff.Backoff` policy.

The defaults retry fast: a home broker that restarts (an update, a power cut) is back within
a second or two, and a refused connect on a LAN costs nothing, so the cap sits near one second
instead of the minutes a cloud client would use.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.backoff import Backoff


@dataclass(slots=True)
class ReconnectPolicy(Backoff):
    initial: float = 0.05
    cap: float = 1.0
