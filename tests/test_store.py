"""The store keeps documents across a reopen, and batches hot-path writes."""

from __future__ import annotations

from pathlib import Path

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
