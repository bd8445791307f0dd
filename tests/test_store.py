"""The store keeps documents across a reopen, and batches hot-path writes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hub.errors import StoreError
from hub.store import Store


async def test_documents_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    async with Store(path) as store:
        await store.put("scenes", "movie", {"name": "Movie night"})
        store.put_later("state", "d1", {"power": [True, 1.0]})
    async with Store(path) as store:
        assert await store.get("scenes", "movie") == {"name": "Movie night"}
        assert await store.all("state") == {"d1": {"power": [True, 1.0]}}


async def test_pending_writes_are_visible_before_the_flush(tmp_path: Path) -> None:
    async with Store(tmp_path / "hub.db", flush_interval=60) as store:
        store.put_later("state", "d1", {"v": 1})
        store.put_later("state", "d1", {"v": 2})
        assert await store.get("state", "d1") == {"v": 2}
        store.put_later("state", "d1", None)
        assert await store.all("state") == {}


async def test_delete_removes_a_document(tmp_path: Path) -> None:
    async with Store(tmp_path / "hub.db") as store:
        await store.put("scenes", "a", {"x": 1})
        await store.delete("scenes", "a")
        assert await store.get("scenes", "a") is None


async def test_concurrent_writes_share_commits_and_each_returns_once_committed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hub.db"
    async with Store(path, flush_interval=60) as store:
        await asyncio.gather(*(store.put("scenes", f"s{n}", {"n": n}) for n in range(50)))
        assert 1 <= store.commits < 50  # grouped, yet every put above waited for its commit
        async with Store(path) as other:  # a second connection sees them: they are on disk
            assert len(await other.all("scenes")) == 50


async def test_commit_makes_earlier_batched_writes_durable(tmp_path: Path) -> None:
    async with Store(tmp_path / "hub.db", flush_interval=60) as store:
        store.put_later("devices", "d1", {"name": "Lamp"})
        await store.commit()
        async with Store(tmp_path / "hub.db") as other:
            assert await other.get("devices", "d1") == {"name": "Lamp"}


async def test_a_failed_commit_raises_and_keeps_the_write_for_the_next(tmp_path: Path) -> None:
    async with Store(tmp_path / "hub.db", flush_interval=60) as store:
        await store.db.execute("PRAGMA query_only = ON")  # every write now fails
        with pytest.raises(StoreError, match="failed"):
            await store.put("scenes", "s1", {"n": 1})
        await store.db.execute("PRAGMA query_only = OFF")
        await store.commit()
        async with Store(tmp_path / "hub.db") as other:
            assert await other.get("scenes", "s1") == {"n": 1}
