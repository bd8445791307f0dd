"""Persistence: SQLite through aiosqlite, in WAL mode, with batched writes.

Everything the hub keeps is a JSON document in a named collection (devices, state, secrets,
scenes, automations, api tokens, timers, traces). One small interface serves them all, so a
larger deployment can move it to another database without touching its users. Writes on hot
paths go through :meth:`Store.put_later`: they are coalesced per key and written in one
transaction every ``flush_interval`` seconds, never on the caller's time.

The file carries its layout's version in SQLite's ``PRAGMA user_version``; opening an older
file runs the steps in ``_MIGRATIONS`` up to ``SCHEMA_VERSION``, each in one transaction with
its version bump. Version 1 is the ``documents`` table, the layout stores had before they
carried a version (they read 0). A file from a newer mihub is refused, not guessed at.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

from hub.errors import HubError

_LOGGER = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (collection, key)
) WITHOUT ROWID;
"""

SCHEMA_VERSION = 1
_MIGRATIONS: dict[int, str] = {1: _SCHEMA}
"""The step to each version from the one before it."""


class StoreVersionError(HubError):
    """The store was written by a newer mihub than this one."""


class Store:
    def __init__(self, path: str | Path, flush_interval: float = 1.0) -> None:
        self.path = str(path)
        self.flush_interval = flush_interval
        self._db: aiosqlite.Connection | None = None
        self._pending: dict[tuple[str, str], dict[str, Any] | None] = {}
        self._flusher: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path)
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=NORMAL")
        try:
            await self._migrate()
        except BaseException:
            await self._db.close()
            self._db = None
            raise
        self._flusher = asyncio.create_task(self._flush_loop(), name="store-flusher")

    async def close(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        if self._db is not None:
            await self.flush()
            await self._db.close()
            self._db = None

    async def schema_version(self) -> int:
        async with self.db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        found = await self.schema_version()
        if found > SCHEMA_VERSION:
            raise StoreVersionError(
                f"{self.path} has store schema {found}, written by a newer mihub; this one "
                f"reads up to {SCHEMA_VERSION}: upgrade mihub, or `mihub restore` an older backup"
            )
        for version in range(found + 1, SCHEMA_VERSION + 1):
            await self.db.executescript(
                f"BEGIN;\n{_MIGRATIONS[version]}\nPRAGMA user_version = {version};\nCOMMIT;"
            )
        if found < SCHEMA_VERSION:  # 0: a new file, or one from before the store had versions
            _LOGGER.info("%s: store schema %d -> %d", self.path, found, SCHEMA_VERSION)

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("the store is not open")
        return self._db

    async def get(self, collection: str, key: str) -> dict[str, Any] | None:
        pending = self._pending.get((collection, key), ...)
        if pending is not ...:
            return pending
        async with self.db.execute(
            "SELECT doc FROM documents WHERE collection = ? AND key = ?", (collection, key)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else dict(json.loads(row[0]))

    async def all(self, collection: str) -> dict[str, dict[str, Any]]:
        async with self.db.execute(
            "SELECT key, doc FROM documents WHERE collection = ?", (collection,)
        ) as cursor:
            rows = await cursor.fetchall()
        docs = {key: dict(json.loads(doc)) for key, doc in rows}
        for (coll, key), doc in self._pending.items():
            if coll != collection:
                continue
            if doc is None:
                docs.pop(key, None)
            else:
                docs[key] = doc
        return docs

    async def put(self, collection: str, key: str, doc: dict[str, Any]) -> None:
        self._pending.pop((collection, key), None)
        await self.db.execute(
            "INSERT OR REPLACE INTO documents (collection, key, doc) VALUES (?, ?, ?)",
            (collection, key, json.dumps(doc)),
        )
        await self.db.commit()

    async def delete(self, collection: str, key: str) -> None:
        self._pending.pop((collection, key), None)
        await self.db.execute(
            "DELETE FROM documents WHERE collection = ? AND key = ?", (collection, key)
        )
        await self.db.commit()

    def put_later(self, collection: str, key: str, doc: dict[str, Any] | None) -> None:
        """Write (or, with ``None``, delete) soon, in a batch; the latest doc per key wins."""
        self._pending[(collection, key)] = doc

    async def flush(self) -> None:
        if not self._pending or self._db is None:
            return
        batch, self._pending = self._pending, {}
        upserts = [(c, k, json.dumps(d)) for (c, k), d in batch.items() if d is not None]
        deletes = [(c, k) for (c, k), d in batch.items() if d is None]
        if upserts:
            await self._db.executemany(
                "INSERT OR REPLACE INTO documents (collection, key, doc) VALUES (?, ?, ?)", upserts
            )
        if deletes:
            await self._db.executemany(
                "DELETE FROM documents WHERE collection = ? AND key = ?", deletes
            )
        await self._db.commit()

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            try:
                await self.flush()
            except Exception:  # keep the hub running; the next flush retries what it can
                _LOGGER.exception("store flush failed")
