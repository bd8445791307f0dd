"""History: every change and command with its origin, 5-minute statistics, and queries."""

from hub.history.backend import HistoryBackend, history_backend
from hub.history.database import HistoryDatabase
from hub.history.recorder import HistoryRecorder
from hub.history.retention import Retention

__all__ = ["HistoryBackend", "HistoryDatabase", "HistoryRecorder", "Retention", "history_backend"]
