"""Persistence: SQLite through aiosqlite, in WAL mode, with group commit.

Everything the hub keeps is a JSON document in a named collection (devices, state, secrets,
scenes, automations, api tokens, timers, traces). One small interface serves them all, so a
larger deployment can move it to another database without touching its users.

Every write goes through one queue of pending documents (the latest per key wins), written in
one transaction by one task, so writes are never reordered. Two kinds of caller:

- :meth:`Store.put` / :meth:`Store.delete` / :meth:`Store.commit` return only once the write is
  committed (``synchronous=FULL``: on disk, a power cut included). Whatever else is pending at
  that moment goes in the same transaction, so concurrent writers share one commit. An API
  answers 2xx for a write only after this.
- :meth:`Store.put_later` (hot paths: device state, last-used times, traces) is written with
  the next commit, at the latest ``flush_interval`` seconds later, never on the caller's time.

The file carries its layout's version in SQLite's ``PRAGMA user_version``; opening an older
file runs the steps in ``_MIGRATIONS`` up to ``SCHEMA_VERSION``, each in one transaction with
its version bump. Version 1 is the ``documents`` table, the layout stores had before they
carried a version (they read 0). A file from a newer mihub is refused, not guessed at.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import sqlite3
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

from hub.errors import HubError, StoreError
from hub.logs import redact_sql_parameters

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
        self.commits = 0
        self._db: aiosqlite.Connection | None = None
        self._pending: dict[tuple[str, str], dict[str, Any] | None] = {}
        self._committed: asyncio.Future[None] | None = None
        """Resolved when what is pending now is committed; created by the first waiter."""
        self._inflight: asyncio.Future[None] | None = None
        """The commit under way, if any."""
        self._flusher: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def open(self) -> None:
        redact_sql_parameters()  # aiosqlite's DEBUG lines carry the SQL parameters: secrets
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # aiosqlite leaves its thread answering a closed loop when connect fails: find
            # out first, with a plain connection, whether the file can be opened at all
            await asyncio.to_thread(_probe, self.path)
        self._db = await aiosqlite.connect(self.path)
        try:
            await self._db.execute("PRAGMA journal_mode=WAL")
            await self._db.execute("PRAGMA synchronous=FULL")
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
            try:
                await self.flush()
            finally:
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
        """Write ``doc``; return once it is committed."""
        self._pending[(collection, key)] = doc
        await self.commit()

    async def delete(self, collection: str, key: str) -> None:
        """Delete a document; return once that is committed."""
        self._pending[(collection, key)] = None
        await self.commit()

    def put_later(self, collection: str, key: str, doc: dict[str, Any] | None) -> None:
        """Write (or, with ``None``, delete) soon, in a batch; the latest doc per key wins."""
        self._pending[(collection, key)] = doc

    async def commit(self) -> None:
        """Return once everything written so far (``put_later`` included) is committed.

        Raises :class:`StoreError` when the commit failed: the caller must not acknowledge.
        """
        if not self._pending:
            if self._inflight is not None and not self._inflight.done():
                await asyncio.shield(self._inflight)  # an earlier write is being committed
            return
        if self._flusher is None:
            raise StoreError(f"the store {self.path} is not open")
        if self._committed is None:
            self._committed = asyncio.get_running_loop().create_future()
        committed = self._committed
        self._wake.set()
        await asyncio.shield(committed)

    async def flush(self) -> None:
        """Commit what is pending now, in one transaction."""
        if not self._pending or self._db is None:
            return
        committed = self._committed or asyncio.get_running_loop().create_future()
        self._committed, self._inflight = None, committed
        batch, self._pending = self._pending, {}
        try:
            await self._write(self._db, batch)
        except BaseException as exc:
            for key, doc in batch.items():  # kept for the next try; newer writes win
                self._pending.setdefault(key, doc)
            if isinstance(exc, Exception):
                committed.set_exception(StoreError(f"the store {self.path} failed: {exc}"))
                committed.exception()  # retrieved here; each waiter raises its own
            else:
                self._carry_over(committed)
            raise
        committed.set_result(None)

    def _carry_over(self, committed: asyncio.Future[None]) -> None:
        """A flush was cancelled (closing): the next one resolves its waiters."""
        if self._committed is None:
            self._committed = committed
        else:
            self._committed.add_done_callback(functools.partial(_follow, committed))

    async def _write(
        self, db: aiosqlite.Connection, batch: dict[tuple[str, str], dict[str, Any] | None]
    ) -> None:
        upserts = [(c, k, json.dumps(d)) for (c, k), d in batch.items() if d is not None]
        deletes = [(c, k) for (c, k), d in batch.items() if d is None]
        try:
            if upserts:
                await db.executemany(
                    "INSERT OR REPLACE INTO documents (collection, key, doc) VALUES (?, ?, ?)",
                    upserts,
                )
            if deletes:
                await db.executemany(
                    "DELETE FROM documents WHERE collection = ? AND key = ?", deletes
                )
            await db.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                await db.rollback()
            raise
        self.commits += 1

    async def _flush_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.flush_interval):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush()
            except Exception:  # keep the hub running; the next flush retries what it can
                _LOGGER.exception("store flush failed")


def _probe(path: str) -> None:
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA schema_version").fetchone()


def _follow(target: asyncio.Future[None], source: asyncio.Future[None]) -> None:
    if target.done():
        return
    if source.cancelled():
        target.cancel()
    elif (error := source.exception()) is not None:
        target.set_exception(error)
    else:
        target.set_result(None)
