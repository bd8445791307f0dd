"""What the API is given by the hub (``ApiContext``: no part of the API builds any of these)
and what it keeps while it serves (``ApiState``: limits, live clients, counters)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from hub.api.auth import Caller, TokenAuth
from hub.api.device_cache import DeviceJsonCache
from hub.api.limits import GuessLimits, IdempotencyCache
from hub.api.wire import EncodedEvents
from hub.bus import EventBus, EventStream
from hub.devices.registry import DeviceRegistry
from hub.history.queries import HistoryReader
from hub.scenes.engine import AutomationEngine
from hub.scenes.scenes import SceneManager

if TYPE_CHECKING:  # the composition root's; the API only calls what it is given
    from hub.devices.miio.runtime import TokenProblem
    from hub.habits.service import HabitService
    from hub.onboarding.provision import Provisioned
    from hub.reload import ReloadReport

SnapshotProvider = Callable[[str], Awaitable[bytes]]
"""``await snapshot(device_id)`` -> a camera's current JPEG (raises the hub's DeviceErrors)."""

Counters = Callable[[], Mapping[str, int | float]]
"""Extra counters for ``/api/system/stats`` (the miIO and MQTT layers' own)."""


@dataclass
class ApiContext:
    registry: DeviceRegistry
    bus: EventBus
    auth: TokenAuth
    """Tokens and pairing codes; it holds the hub's Store (``auth.store``)."""
    scenes: SceneManager
    engine: AutomationEngine | None = None
    snapshot: SnapshotProvider | None = None
    rooms: list[str] = field(default_factory=list)
    """Rooms from the configuration; rooms named by devices are added to these."""
    version: str = "0"
    cors_origins: list[str] = field(default_factory=list)
    """Other origins allowed to call the API from a browser; same-origin is always allowed."""
    counters: Counters | None = None
    history: HistoryReader | None = None
    """The recorder's reader; None when history is off."""
    habits: HabitService | None = None
    """Habit suggestions and their decisions; None when history or habits are off."""
    reload: Callable[[], Awaitable[ReloadReport]] | None = None
    """Apply config.yaml's changes (None: the hub was not started from a config file)."""
    provision: Callable[[str, str, str, int], Awaitable[Provisioned]] | None = None
    """``await provision(host, ssid, password, uid)``: a reset device given the home Wi-Fi,
    its token kept (hub.onboarding.provision.onboard)."""
    token_problems: Callable[[], list[TokenProblem]] | None = None
    """Devices that need a token or whose token is rejected (the miIO runtime's)."""
    use_token: Callable[[str, str], Awaitable[str]] | None = None
    """``await use_token(host, token)`` -> the device id, connecting with the given token."""
    started: float = field(default_factory=time.time)
    auth_failures: int = 5
    """Wrong secrets allowed per API token id within ``auth_window`` s before 429s."""
    auth_window: float = 60.0
    pairing_ceiling: int = 100
    """Wrong pairing codes the whole hub takes during a code's life before the code is void."""
    max_ws_clients: int = 64
    ws_queue: int = 1000
    """Events buffered per WebSocket client before that client (alone) loses some."""


@dataclass
class EventRate:
    """Bus events per second over the last minute, from samples taken when asked."""

    samples: list[tuple[float, int]] = field(default_factory=list)

    def rate(self, published: int, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        samples = self.samples
        if not samples or now - samples[-1][0] >= 1.0:
            samples.append((now, published))
        while len(samples) > 2 and now - samples[1][0] >= 60.0:
            samples.pop(0)
        first_at, first_count = samples[0]
        if now - first_at < 1.0:
            return 0.0
        return (published - first_count) / (now - first_at)


@dataclass(eq=False)
class LiveClient:
    """A WebSocket client: who it is and its bounded queue of events."""

    caller: Caller
    stream: EventStream


@dataclass
class ApiState:
    guesses: GuessLimits
    devices: DeviceJsonCache
    idempotency: IdempotencyCache = field(default_factory=IdempotencyCache)
    events: EventRate = field(default_factory=EventRate)
    ws_clients: dict[web.WebSocketResponse, LiveClient] = field(default_factory=dict)
    ws_pending: set[web.WebSocketResponse] = field(default_factory=set)
    """WebSockets still waiting for their token (they count against ``max_ws_clients``)."""
    ws_dropped: int = 0
    """Events dropped for WebSocket clients that have gone (live ones count their own)."""
    ws_sent: int = 0
    encoded: EncodedEvents = field(default_factory=EncodedEvents)


CONTEXT: web.AppKey[ApiContext] = web.AppKey("context", ApiContext)
STATE: web.AppKey[ApiState] = web.AppKey("api_state", ApiState)
CALLER: web.RequestKey[Caller] = web.RequestKey("caller", Caller)


def context(request: web.Request) -> ApiContext:
    return request.app[CONTEXT]


def api_state(request: web.Request) -> ApiState:
    return request.app[STATE]
