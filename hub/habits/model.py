"""Habit mining's data: the history rows it reads and the suggestions it makes.

Small frozen dataclasses, as the miner's hot loop wants; a suggestion's ``automation`` is a
plain body exactly as ``POST /api/automations`` accepts it, validated there (and in tests)
by :func:`hub.scenes.model.parse_automation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.bus import Origin

Value = bool | int | float | str | None


@dataclass(frozen=True, slots=True)
class HabitEvent:
    """One row of history as the miner sees it."""

    at: float
    """Epoch seconds."""
    device_id: str
    feature: str
    value: Value
    origin: Origin
    """Who caused it: API (a phone), DEVICE (its button, panel or a sensor), AUTOMATION..."""
    command: bool
    """True for a command row, False for a state change."""


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An automation the household seems to want, with why the hub thinks so."""

    id: str
    """Stable across re-mining (a hash of ``kind`` and the pattern's key): a dismissal sticks."""
    kind: str
    """``time``, ``sequence`` or ``condition``."""
    title: str
    """For people: "Turn on Hall light around 07:05 on weekdays"."""
    evidence: str
    """"18 of the last 21 weekdays, between 07:02 and 07:14"."""
    confidence: float
    """0..1"""
    automation: dict[str, Any]
    """A ready automation body, as ``POST /api/automations`` accepts it."""
