"""Habit mining: suggestions from the history of user commands (a first stub of the interface)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from hub.habits.model import HabitEvent, Suggestion


def mine(
    events: Sequence[HabitEvent],
    *,
    names: Mapping[str, str],
    automations: Sequence[Mapping[str, Any]],
    now: float,
    tz: ZoneInfo,
    window_days: int = 28,
) -> list[Suggestion]:
    """Suggestions found in ``events`` (pure, synchronous, deterministic, bounded)."""
    del events, names, automations, now, tz, window_days
    return []
