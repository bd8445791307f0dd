"""Durable timers: pending delays and ``for`` timers, kept in the store across restarts."""

from __future__ import annotations

from typing import Any

from hub.store import Store

COLLECTION = "timers"


class DurableTimers:
    def __init__(self, store: Store | None) -> None:
        self.store = store

    async def remember(self, key: str, doc: dict[str, Any]) -> None:
        """Write now: a delay must be on disk before the hub can be stopped during it."""
        if self.store is not None:
            await self.store.put(COLLECTION, key, doc)

    def remember_soon(self, key: str, doc: dict[str, Any]) -> None:
        if self.store is not None:
            self.store.put_later(COLLECTION, key, doc)

    def forget(self, key: str) -> None:
        if self.store is not None:
            self.store.put_later(COLLECTION, key, None)

    async def all(self) -> dict[str, dict[str, Any]]:
        return {} if self.store is None else await self.store.all(COLLECTION)
