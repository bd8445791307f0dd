"""How long history is kept, and the background pruning that keeps it so."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from hub.history.backend import HistoryBackend

_LOGGER = logging.getLogger(__name__)
DAY = 86_400


@dataclass(frozen=True, slots=True)
class Retention:
    raw_days: float = 10.0
    statistics_days: float = 365.0
    every: float = 3600.0
    """Seconds between prunings (the first runs at start)."""

    def cutoffs(self, now: float) -> tuple[int, int]:
        """Raw rows before the first (ms) and statistics before the second (s) go."""
        return int((now - self.raw_days * DAY) * 1000), int(now - self.statistics_days * DAY)

    async def prune(self, db: HistoryBackend, now: float | None = None) -> int:
        raw_before, statistics_before = self.cutoffs(time.time() if now is None else now)
        return await db.prune(raw_before, statistics_before)

    async def run(self, db: HistoryBackend) -> None:
        """Prune now and every ``every`` seconds, until cancelled."""
        while True:
            try:
                deleted = await self.prune(db)
            except Exception:  # the next round retries; history must not stop the hub
                _LOGGER.exception("pruning history failed")
            else:
                if deleted:
                    _LOGGER.info("history: pruned %d old rows", deleted)
            await asyncio.sleep(self.every)
