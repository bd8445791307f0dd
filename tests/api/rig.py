"""An API server on 127.0.0.1 over the small test home, with a paired admin token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from hub.api.app import create_app
from hub.api.auth import TokenAuth
from hub.api.context import ApiContext
from hub.bus import EventBus
from hub.devices.registry import DeviceRegistry
from hub.scenes.engine import AutomationEngine
from hub.scenes.scenes import SceneManager
from hub.store import Store
from tests.scenes.home import EchoAdapter, build_home

JPEG = b"\xff\xd8\xff\xe0fake-but-typed\xff\xd9"


@dataclass
class Api:
    client: TestClient
    ctx: ApiContext
    registry: DeviceRegistry
    adapter: EchoAdapter
    admin: str

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.admin}"}


@asynccontextmanager
async def api_rig(tmp_path: Path) -> AsyncIterator[Api]:
    async with Store(tmp_path / "hub.db") as store:
        bus = EventBus()
        registry, adapter = build_home(bus, store)
        scenes = SceneManager(registry, store)
        engine = AutomationEngine(registry, bus, store, scenes=scenes)
        await engine.start()
        auth = TokenAuth(store)

        async def snapshot(device_id: str) -> bytes:
            return JPEG

        ctx = ApiContext(registry, bus, auth, scenes, engine, snapshot, ["Hall"], "0.1.0")
        client = TestClient(TestServer(create_app(ctx), host="127.0.0.1"))
        await client.start_server()
        try:
            admin = await auth.issue("test admin", ["read", "control", "admin"])
            yield Api(client, ctx, registry, adapter, admin)
        finally:
            await client.close()
            await engine.stop()
            registry.close()
