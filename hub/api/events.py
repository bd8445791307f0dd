"""``/api/events``: live events over a WebSocket, filtered per client, never stalling the hub.

The client authenticates with the ``Authorization`` header or, from a browser (which cannot
set headers on a WebSocket), with a first message ``{"token": "..."}``. It may then send
``{"subscribe": ["state", "availability", "automation", "notification"], "devices": [...]}``
and ``{"stats": true}``. Each client has a bounded queue: a slow phone loses events (counted,
and readable with ``stats``), the hub never waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import WSMsgType, web

from hub.api.auth import Caller
from hub.api.context import CALLER, ApiContext, context
from hub.api.routes import Route, Scope
from hub.bus import (
    AutomationRan,
    DeviceEvent,
    DeviceOffline,
    DeviceOnline,
    Event,
    EventStream,
    Notification,
    StateChanged,
)

QUEUE = 512
KINDS: dict[type[Event], str] = {
    StateChanged: "state",
    DeviceOnline: "availability",
    DeviceOffline: "availability",
    DeviceEvent: "event",
    AutomationRan: "automation",
    Notification: "notification",
}


def encode(event: Event) -> dict[str, Any]:
    if isinstance(event, StateChanged):
        return {"type": "state", "device": event.device_id, "feature": event.feature,
                "value": event.value, "at": event.at}  # fmt: skip
    if isinstance(event, DeviceOnline | DeviceOffline):
        online = isinstance(event, DeviceOnline)
        reason = "" if online else getattr(event, "reason", "")
        return {"type": "availability", "device": event.device_id,
                "availability": "online" if online else "offline", "reason": reason}  # fmt: skip
    if isinstance(event, DeviceEvent):
        return {"type": "event", "device": event.device_id, "event": event.event,
                "data": event.data}  # fmt: skip
    if isinstance(event, AutomationRan):
        return {"type": "automation", "automation": event.automation_id,
                "trace": event.trace_id, "result": event.result}  # fmt: skip
    if isinstance(event, Notification):
        return {"type": "notification", "title": event.title, "message": event.message}
    return {"type": "unknown"}


async def events(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=4096)
    await ws.prepare(request)
    caller: Caller | None = request.get(CALLER)
    if caller is None:
        caller = await _first_message_auth(ctx, ws, request.remote or "?")
        if caller is None:
            await ws.close(code=4001, message=b"unauthorized")
            return ws
    ctx.ws_clients += 1
    try:
        async with ctx.bus.stream(KINDS, QUEUE) as stream:
            await ws.send_json({"type": "hello", "name": caller.name})
            await _serve(ctx, ws, stream)
    finally:
        ctx.ws_clients -= 1
    return ws


async def _first_message_auth(
    ctx: ApiContext, ws: web.WebSocketResponse, client: str
) -> Caller | None:
    if ctx.auth.lockout.retry_after(client):
        return None
    try:
        message = await asyncio.wait_for(ws.receive(), 10)
        token = json.loads(message.data).get("token") if message.type == WSMsgType.TEXT else None
    except (TimeoutError, ValueError, AttributeError):
        token = None
    caller = await ctx.auth.verify(token) if isinstance(token, str) else None
    if caller is None or not caller.allows(Scope.READ):
        ctx.auth.lockout.failed(client)
        return None
    return caller


async def _serve(ctx: ApiContext, ws: web.WebSocketResponse, stream: EventStream) -> None:
    wanted: set[str] = set(KINDS.values())
    devices: set[str] | None = None

    async def pump() -> None:
        async for event in stream:
            if KINDS.get(type(event)) not in wanted:
                continue
            if devices is not None and getattr(event, "device_id", None) not in devices:
                continue
            await ws.send_json(encode(event))

    sender = asyncio.create_task(pump(), name="ws-events-pump")
    try:
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                request = json.loads(message.data)
            except ValueError:
                await ws.send_json({"type": "error", "message": "send JSON objects"})
                continue
            if not isinstance(request, dict):
                continue
            if isinstance(request.get("subscribe"), list):
                wanted = {k for k in request["subscribe"] if k in KINDS.values()}
            if isinstance(request.get("devices"), list):
                devices = {str(d) for d in request["devices"]}
            if request.get("stats"):
                await ws.send_json({"type": "stats", "dropped": stream.dropped})
    finally:
        ctx.ws_dropped += stream.dropped
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender


ROUTES = [
    Route("GET", "/api/events", events, Scope.NONE,
          "Live events (WebSocket; token in the header or the first message)", tag="events"),
]  # fmt: skip
