"""What the API is given by the hub: no part of the API builds any of these itself."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from hub.api.auth import Caller, TokenAuth
from hub.bus import EventBus
from hub.devices.registry import DeviceRegistry
from hub.scenes.engine import AutomationEngine
from hub.scenes.scenes import SceneManager

SnapshotProvider = Callable[[str], Awaitable[bytes]]


@dataclass
class ApiContext:
    registry: DeviceRegistry
    bus: EventBus
    auth: TokenAuth
    scenes: SceneManager
    engine: AutomationEngine | None = None
    snapshot: SnapshotProvider | None = None
    rooms: list[str] = field(default_factory=list)
    version: str = "0"
    cors_origins: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    ws_clients: int = 0
    ws_dropped: int = 0


CONTEXT: web.AppKey[ApiContext] = web.AppKey("context", ApiContext)
CALLER: web.RequestKey[Caller] = web.RequestKey("caller", Caller)


def context(request: web.Request) -> ApiContext:
    return request.app[CONTEXT]
