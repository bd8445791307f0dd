"""The one interface the recorder, the queries and retention use, whichever database holds
history: SQLite (``database.HistoryDatabase``, one file per hub, the default) or PostgreSQL
(``postgres.PostgresHistory``, shareable by several hubs).

What differs between the two stays behind it: the schema (``WITHOUT ROWID``, column types),
upserts, placeholders, transactions, and the few words of SQL they spell differently.
Queries are written with ``?`` placeholders; the two that read a range of history are
spelt per dialect, as each database's keys suit (SQLite's are time first, PostgreSQL's the
feature first), with the same parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

from hub.errors import StoreError
from hub.history.statistics import Bucket

EventRow = tuple[int, int, int, int, Any, int, int, str | None]
"""(block, entity, at_ms, kind, value, is_bool, origin code, status) as stored."""

ENTITY_SPAN = 1 << 32
"""Entity ids of one hub lie in (first_entity, first_entity + ENTITY_SPAN]."""


class HistoryBackend(Protocol):
    first_entity: int
    """This hub's entity ids start after this (0 in a database of its own)."""
    dialect: Literal["sqlite", "postgresql"]
    """Which words a query uses where the two differ (``queries._RAW``, ``queries._BUCKETS``)."""

    @property
    def where(self) -> str:
        """Where history is, for messages (never a password)."""
        ...

    async def open(self) -> dict[tuple[str, str], int]:
        """Open (creating tables); returns this hub's known entities' ids."""
        ...

    async def close(self) -> None: ...

    async def write(
        self,
        entities: Sequence[tuple[int, str, str]],
        events: Sequence[EventRow],
        buckets: Sequence[Bucket],
    ) -> None:
        """One transaction: new entities, raw rows and finished 5-minute buckets."""
        ...

    async def prune(self, events_before_ms: int, statistics_before: int) -> int:
        """Delete raw rows and statistics older than the cut-offs; returns the rows deleted."""
        ...

    async def fetch(self, sql: str, parameters: Iterable[Any]) -> list[Any]:
        """Rows of one read-only query written with ``?`` placeholders."""
        ...


def history_backend(url: str | None, data_dir: Path, hub_id: str) -> HistoryBackend:
    """SQLite in the data directory, or the PostgreSQL database at ``url``."""
    if url is None:
        from hub.history.database import HistoryDatabase

        return HistoryDatabase(data_dir / "history.db")
    try:
        from hub.history.postgres import PostgresHistory
    except ImportError as exc:
        raise StoreError(
            f"history.url is PostgreSQL, which needs psycopg: pip install 'mihub[postgres]' ({exc})"
        ) from None
    return PostgresHistory(url, hub_id)
