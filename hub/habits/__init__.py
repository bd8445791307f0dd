"""Habit mining: routines, sequences and responses found in the history of user commands."""

from hub.habits.miner import mine
from hub.habits.model import HabitEvent, Suggestion

__all__ = ["HabitEvent", "Suggestion", "mine"]
