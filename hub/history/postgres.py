"""History in PostgreSQL, shareable by several hubs (psycopg 3, async).

The tables are SQLite's (``schema``) with PostgreSQL's types: ``value`` is ``jsonb`` (it keeps
a number a number and a word a word, as SQLite's untyped column does). They are keyed feature
first (a chart is one range scan of its key) rather than time first as in SQLite, where that
spares the pages a commit writes; a BRIN index on time (a few pages: rows arrive in time order)
serves pruning.
Each hub that opens the database takes a number in ``hubs``; its entity ids are
``number << 32`` plus its own count, so every row of ``events``, ``statistics`` and
``latest`` is tagged with its hub through its entity (``entity >> 32``, and ``entities.hub``
names it), no hub ever writes another's rows, and the queries are the same as on SQLite.

One connection writes (a transaction per commit, one at a time: the recorder's commits and
retention's pruning take turns) and one reads, as on SQLite. A connection the server dropped
(a restart, a failover) is opened again on next use: the commit that found it broken fails,
the recorder keeps its rows, and the next commit writes them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any, Literal
from urllib.parse import urlsplit

import psycopg
from psycopg.types.json import Jsonb

from hub.errors import StoreError
from hub.history.backend import ENTITY_SPAN, EventRow
from hub.history.schema import BLOCK_MS
from hub.history.statistics import Bucket

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS hubs (number SERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE)",
    """CREATE TABLE IF NOT EXISTS entities (
        id BIGINT PRIMARY KEY,
        hub TEXT NOT NULL REFERENCES hubs (id),
        device_id TEXT NOT NULL,
        feature TEXT NOT NULL,
        UNIQUE (hub, device_id, feature)
    )""",
    """CREATE TABLE IF NOT EXISTS events (
        block BIGINT NOT NULL,
        entity BIGINT NOT NULL,
        at BIGINT NOT NULL,
        kind SMALLINT NOT NULL,
        value JSONB,
        is_bool SMALLINT NOT NULL,
        origin SMALLINT NOT NULL,
        status TEXT,
        PRIMARY KEY (entity, at, kind)
    )""",
    "CREATE INDEX IF NOT EXISTS events_block ON events USING brin (block)",
    """CREATE TABLE IF NOT EXISTS statistics (
        start BIGINT NOT NULL,
        entity BIGINT NOT NULL,
        mean DOUBLE PRECISION NOT NULL,
        min DOUBLE PRECISION NOT NULL,
        max DOUBLE PRECISION NOT NULL,
        first DOUBLE PRECISION,
        last DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (entity, start)
    )""",
    "CREATE INDEX IF NOT EXISTS statistics_start ON statistics USING brin (start)",
    """CREATE TABLE IF NOT EXISTS latest (
        entity BIGINT PRIMARY KEY,
        start BIGINT NOT NULL,
        last DOUBLE PRECISION NOT NULL
    )""",
)
_SCHEMA_LOCK = 0x6D69_6875_62  # "mihub": hubs starting together create the tables once

_INSERT_ENTITY = "INSERT INTO entities VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"
_INSERT_EVENT = """
INSERT INTO events VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (entity, at, kind) DO UPDATE SET
    value = excluded.value, is_bool = excluded.is_bool, origin = excluded.origin,
    status = excluded.status
"""
_UPSERT_BUCKET = """
INSERT INTO statistics VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (entity, start) DO UPDATE SET
    mean = excluded.mean, min = least(statistics.min, excluded.min),
    max = greatest(statistics.max, excluded.max),
    first = coalesce(statistics.first, excluded.first), last = excluded.last
"""
_UPSERT_LATEST = """
INSERT INTO latest VALUES (%s, %s, %s)
ON CONFLICT (entity) DO UPDATE SET start = excluded.start, last = excluded.last
WHERE excluded.start >= latest.start
"""


class PostgresHistory:
    dialect: Literal["sqlite", "postgresql"] = "postgresql"

    def __init__(self, url: str, hub_id: str) -> None:
        self.url = url
        self.hub_id = hub_id
        self.first_entity = 0
        self._writer: psycopg.AsyncConnection[tuple[Any, ...]] | None = None
        self._reader: psycopg.AsyncConnection[tuple[Any, ...]] | None = None
        self._writing = asyncio.Lock()

    @property
    def where(self) -> str:
        """The URL without its password."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        user = f"{parts.username}@" if parts.username else ""
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{user}{host}{port}{parts.path}"

    async def open(self) -> dict[tuple[str, str], int]:
        try:
            self._writer = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
            self._reader = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
            async with self._writer.transaction():
                await self._writer.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                for statement in SCHEMA:
                    await self._writer.execute(statement)
                await self._writer.execute(
                    "INSERT INTO hubs (id) VALUES (%s) ON CONFLICT (id) DO NOTHING", (self.hub_id,)
                )
            cursor = await self._writer.execute(
                "SELECT number FROM hubs WHERE id = %s", (self.hub_id,)
            )
            found = await cursor.fetchone()
            if found is None:
                raise StoreError(f"history database {self.where}: hub '{self.hub_id}' not kept")
            self.first_entity = int(found[0]) * ENTITY_SPAN
            cursor = await self._writer.execute(
                "SELECT device_id, feature, id FROM entities WHERE hub = %s", (self.hub_id,)
            )
            return {
                (device, feature): entity for device, feature, entity in await cursor.fetchall()
            }
        except psycopg.Error as exc:
            await self.close()
            raise StoreError(f"cannot open the history database {self.where}: {exc}") from exc

    async def close(self) -> None:
        for connection in (self._reader, self._writer):
            if connection is not None:
                await connection.close()
        self._reader = self._writer = None

    @property
    def writer(self) -> psycopg.AsyncConnection[tuple[Any, ...]]:
        if self._writer is None:
            raise RuntimeError("the history database is not open")
        return self._writer

    async def _writing_connection(self) -> psycopg.AsyncConnection[tuple[Any, ...]]:
        if self.writer.broken:
            self._writer = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        return self.writer

    async def _reading_connection(self) -> psycopg.AsyncConnection[tuple[Any, ...]]:
        if self._reader is None:
            raise RuntimeError("the history database is not open")
        if self._reader.broken:
            self._reader = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        return self._reader

    async def write(
        self,
        entities: Sequence[tuple[int, str, str]],
        events: Sequence[EventRow],
        buckets: Sequence[Bucket],
    ) -> None:
        entity_rows = [
            (entity, self.hub_id, device, feature) for entity, device, feature in entities
        ]
        event_rows = [(*row[:4], Jsonb(row[4]), *row[5:]) for row in events]
        stats = [(b.start, b.entity, b.mean, b.min, b.max, b.first, b.last) for b in buckets]
        latest = [(b.entity, b.start, b.last) for b in buckets]
        async with self._writing:
            db = await self._writing_connection()
            async with db.transaction(), db.cursor() as cursor:
                for sql, rows in (
                    (_INSERT_ENTITY, entity_rows),
                    (_INSERT_EVENT, event_rows),
                    (_UPSERT_BUCKET, stats),
                    (_UPSERT_LATEST, latest),
                ):
                    if rows:
                        await cursor.executemany(sql, rows)

    async def prune(self, events_before_ms: int, statistics_before: int) -> int:
        """This hub's old rows only: each hub keeps its own history as long as it is told."""
        low, high = self.first_entity, self.first_entity + ENTITY_SPAN
        deleted = 0
        async with self._writing:
            db = await self._writing_connection()
            async with db.transaction(), db.cursor() as cursor:
                for sql, before in (
                    ("DELETE FROM events WHERE block < %s AND entity > %s AND entity <= %s",
                     events_before_ms // BLOCK_MS),
                    ("DELETE FROM statistics WHERE start < %s AND entity > %s AND entity <= %s",
                     statistics_before),
                ):  # fmt: skip
                    await cursor.execute(sql, (before, low, high))
                    deleted += max(cursor.rowcount, 0)
        return deleted

    async def fetch(self, sql: str, parameters: Iterable[Any]) -> list[Any]:
        """A read found its connection dropped is tried once more, on a new one."""
        query, values = sql.replace("?", "%s"), tuple(parameters)
        db = await self._reading_connection()
        try:
            cursor = await db.execute(query, values)
        except psycopg.OperationalError:
            if not db.broken:
                raise
            cursor = await (await self._reading_connection()).execute(query, values)
        return list(await cursor.fetchall())
