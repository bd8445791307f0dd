"""An API server on 127.0.0.1 over the small test home, with a paired admin token.

The home is ``tests/scenes/home.py``'s: a lamp, a button and a thermometer behind the
registry, whose adapter (the registry's public extension point) applies a command by
reporting the new value back, as a device would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient, TestServer

from hub.api.app import create_app
from hub.api.auth import TokenAuth
from hub.api.context import ApiContext, SnapshotProvider
from hub.bus import EventBus
from hub.devices.registry import DeviceRegistry
from hub.habits.service import HabitService
from hub.history import HistoryDatabase, HistoryRecorder
from hub.history.queries import HistoryReader
from hub.scenes.engine import AutomationEngine
from hub.scenes.scenes import SceneManager
from hub.store import Store
from tests.api.home import EchoAdapter, build_home

UTC = ZoneInfo("UTC")
JPEG = b"\xff\xd8\xff\xe0fake-but-typed\xff\xd9"


async def fixed_jpeg(device_id: str) -> bytes:
    return JPEG


@dataclass
class Api:
    client: TestClient[Any, Any]
    ctx: ApiContext
    registry: DeviceRegistry
    adapter: EchoAdapter
    admin: str
    store: Store
    extra: dict[str, Any] = field(default_factory=dict)

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.admin}"}

    @property
    def url(self) -> str:
        return str(self.client.make_url("/")).rstrip("/")


@asynccontextmanager
async def api_rig(
    tmp_path: Path,
    *,
    engine: bool = True,
    snapshot: SnapshotProvider | None = fixed_jpeg,
    **options: Any,
) -> AsyncIterator[Api]:
    bus = EventBus()
    history = HistoryRecorder(bus, HistoryDatabase(tmp_path / "history.db"))
    async with Store(tmp_path / "hub.db") as store, history:
        registry, adapter = build_home(bus, store)
        scenes = SceneManager(registry, store)
        automations = AutomationEngine(registry, bus, store, scenes=scenes) if engine else None
        if automations is not None:
            await automations.start()
        auth = TokenAuth(store)
        ctx = ApiContext(registry, bus, auth, scenes, automations, snapshot, ["Hall"], "0.1.0",
                         **options)  # fmt: skip
        ctx.history = HistoryReader(history.db)
        if automations is not None:
            ctx.habits = HabitService(
                ctx.history, registry, store,
                lambda: [a.model_dump(mode="json") for a in automations.all()], tz=UTC,
            )  # fmt: skip
            await ctx.habits.start()
        client: TestClient[Any, Any] = TestClient(TestServer(create_app(ctx), host="127.0.0.1"))
        await client.start_server()
        try:
            admin = await auth.issue("test admin", ["admin"])
            yield Api(client, ctx, registry, adapter, admin, store, {"history": history})
        finally:
            await client.close()
            if ctx.habits is not None:
                await ctx.habits.stop()
            if automations is not None:
                await automations.stop()
            registry.close()
