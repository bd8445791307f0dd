"""The history database: its own SQLite file (WAL) with one connection that writes and one
that reads, so a long chart query never waits on a commit nor a commit on a query.

Every call runs in aiosqlite's thread: nothing here blocks the event loop. The same methods
on PostgreSQL are ``postgres.PostgresHistory``; both are a ``backend.HistoryBackend``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import aiosqlite

from hub.history.backend import EventRow
from hub.history.schema import BLOCK_MS, SCHEMA
from hub.history.statistics import Bucket

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA journal_size_limit=4194304",
)
_INSERT_EVENT = "INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_UPSERT_BUCKET = """
INSERT INTO statistics VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (start, entity) DO UPDATE SET
    mean = excluded.mean, min = min(min, excluded.min), max = max(max, excluded.max),
    first = coalesce(first, excluded.first), last = excluded.last
"""
_UPSERT_LATEST = """
INSERT INTO latest VALUES (?, ?, ?)
ON CONFLICT (entity) DO UPDATE SET start = excluded.start, last = excluded.last
WHERE excluded.start >= latest.start
"""


class HistoryDatabase:
    first_entity = 0
    dialect: Literal["sqlite", "postgresql"] = "sqlite"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None

    @property
    def where(self) -> str:
        return str(self.path)

    async def open(self) -> dict[tuple[str, str], int]:
        """Open (creating the file and tables); returns the known entities' ids."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await aiosqlite.connect(self.path)
        for pragma in _PRAGMAS:
            await self._writer.execute(pragma)
        await self._writer.executescript(SCHEMA)
        await self._writer.commit()
        self._reader = await aiosqlite.connect(self.path)
        await self._reader.execute("PRAGMA query_only=1")
        async with self._writer.execute("SELECT device_id, feature, id FROM entities") as rows:
            return {(device, feature): entity async for device, feature, entity in rows}

    async def close(self) -> None:
        for connection in (self._reader, self._writer):
            if connection is not None:
                await connection.close()
        self._reader = self._writer = None

    @property
    def writer(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("the history database is not open")
        return self._writer

    @property
    def reader(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("the history database is not open")
        return self._reader

    async def write(
        self,
        entities: Sequence[tuple[int, str, str]],
        events: Sequence[EventRow],
        buckets: Sequence[Bucket],
    ) -> None:
        """One transaction: new entities, raw rows and finished 5-minute buckets."""
        db = self.writer
        if entities:
            await db.executemany("INSERT OR IGNORE INTO entities VALUES (?, ?, ?)", entities)
        if events:
            await db.executemany(_INSERT_EVENT, events)
        if buckets:
            rows = [(b.start, b.entity, b.mean, b.min, b.max, b.first, b.last) for b in buckets]
            await db.executemany(_UPSERT_BUCKET, rows)
            await db.executemany(_UPSERT_LATEST, [(b.entity, b.start, b.last) for b in buckets])
        await db.commit()

    async def prune(self, events_before_ms: int, statistics_before: int) -> int:
        """Delete raw rows and statistics older than the cut-offs; returns the rows deleted."""
        db = self.writer
        raw = await db.execute(
            "DELETE FROM events WHERE block < ?", (events_before_ms // BLOCK_MS,)
        )
        stats = await db.execute("DELETE FROM statistics WHERE start < ?", (statistics_before,))
        await db.commit()
        return max(raw.rowcount, 0) + max(stats.rowcount, 0)

    async def fetch(self, sql: str, parameters: Iterable[Any]) -> list[Any]:
        async with self.reader.execute(sql, tuple(parameters)) as cursor:
            return list(await cursor.fetchall())
