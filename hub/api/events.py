"""``/api/events``: live events over a WebSocket, filtered per client, never stalling the hub.

The client authenticates with the ``Authorization`` header or, from a browser (which cannot
set headers on a WebSocket), with a first message ``{"token": "..."}``. Any message may set
what it receives: ``{"subscribe": ["state", "availability", "event", "device", "automation",
"notification"], "devices": ["id", ...] or null}``; ``{"stats": true}`` asks for
``{"type": "stats", "dropped": n, ...}``.

Each client has a bounded queue (``EventBus.stream``): a slow phone loses events, the hub
never waits for it. What was lost is counted, and the client is told with a ``stats`` message
as soon as it reads again.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import WSCloseCode, WSMsgType, web

from hub.api.auth import Caller
from hub.api.context import CALLER, ApiContext, ApiState, LiveClient, api_state, context
from hub.api.errors import ApiError
from hub.api.jsonio import dumps
from hub.api.routes import Route, Scope
from hub.api.wire import KIND_NAMES, KINDS, device_of
from hub.bus import EventStream

AUTH_TIMEOUT = 3.0
UNAUTHORIZED, FORBIDDEN, TOO_SLOW, LOCKED_OUT = 4401, 4403, 4408, 4429
WRONG_TOKEN = b"this token is not valid (revoked, or never issued)"
NO_TOKEN_IN_TIME = f'no token within {AUTH_TIMEOUT:.0f} s: send {{"token": "..."}} first'.encode()
_numbers = itertools.count(1)


@dataclass(slots=True)
class Subscription:
    kinds: frozenset[str] = KIND_NAMES
    devices: frozenset[str] | None = None

    def update(self, message: dict[str, Any]) -> str | None:
        """Apply a client's message; a problem's description, or None."""
        if "subscribe" in message:
            kinds = message["subscribe"]
            if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
                return "subscribe: a list of kinds"
            unknown = set(kinds) - KIND_NAMES
            if unknown:
                return f"subscribe: unknown kinds {sorted(unknown)}; kinds: {sorted(KIND_NAMES)}"
            self.kinds = frozenset(kinds)
        if "devices" in message:
            devices = message["devices"]
            if devices is None:
                self.devices = None
            elif isinstance(devices, list) and all(isinstance(d, str) for d in devices):
                self.devices = frozenset(devices)
            else:
                return "devices: a list of device ids, or null for every device"
        return None


async def events(request: web.Request) -> web.StreamResponse:
    ctx, state = context(request), api_state(request)
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=4096)
    if not ws.can_prepare(request).ok:
        raise ApiError(426, "upgrade_required", "this is a WebSocket: connect with "
                       "'Upgrade: websocket'", headers={"Upgrade": "websocket"})  # fmt: skip
    if len(state.ws_clients) + len(state.ws_pending) >= ctx.max_ws_clients:
        raise ApiError(503, "too_many_clients", "too many live clients; try again later")
    subscription = Subscription()
    caller = request.get(CALLER)
    state.ws_pending.add(ws)  # counted from now: a socket waiting for its token holds a slot
    try:
        await ws.prepare(request)
        if caller is None:
            caller = await _first_message_auth(ctx, state, ws, request.remote or "?", subscription)
            if caller is None:
                return ws
    finally:
        state.ws_pending.discard(ws)
    async with ctx.bus.stream(KINDS, ctx.ws_queue) as stream:
        state.ws_clients[ws] = LiveClient(caller, stream)
        try:
            await ws.send_str(dumps({"type": "hello", "name": caller.name}).decode())
            await _serve(state, ws, stream, subscription)
        finally:
            del state.ws_clients[ws]
            state.ws_dropped += stream.dropped
    return ws


async def _first_message_auth(
    ctx: ApiContext,
    state: ApiState,
    ws: web.WebSocketResponse,
    client: str,
    subscription: Subscription,
) -> Caller | None:
    """The first message must bring the token, within ``AUTH_TIMEOUT`` seconds; the socket
    counts against ``max_ws_clients`` meanwhile, so silent sockets cannot crowd phones out."""
    message: dict[str, Any] = {}
    try:
        received = await ws.receive(timeout=AUTH_TIMEOUT)
    except TimeoutError:
        await ws.close(code=TOO_SLOW, message=NO_TOKEN_IN_TIME)  # not 4401: the token may be fine
        return None
    if received.type is WSMsgType.TEXT:
        with contextlib.suppress(orjson.JSONDecodeError):
            loaded = orjson.loads(received.data)
            message = loaded if isinstance(loaded, dict) else {}
    token = message.get("token")
    if not isinstance(token, str):
        await ws.close(code=UNAUTHORIZED, message=b'send {"token": "..."} first')
        return None
    caller = ctx.auth.check(token)
    if caller is None:
        wait = state.guesses.token_failed(token, ctx.auth.ids, client)
        if wait:
            reason = f"too many wrong tokens for this token id; try again in {wait} s"
            await ws.close(code=LOCKED_OUT, message=reason.encode())
        else:
            await ws.close(code=UNAUTHORIZED, message=WRONG_TOKEN)
        return None
    if not caller.allows(Scope.READ):
        await ws.close(code=FORBIDDEN, message=b"this token lacks the 'read' scope")
        return None
    subscription.update(message)
    return caller


async def _serve(
    state: ApiState, ws: web.WebSocketResponse, stream: EventStream, subscription: Subscription
) -> None:
    sender = asyncio.get_running_loop().create_task(
        _pump(state, ws, stream, subscription), name=f"ws-events-{next(_numbers)}"
    )
    try:
        async for received in ws:
            if received.type is not WSMsgType.TEXT:
                continue
            try:
                message = orjson.loads(received.data)
            except orjson.JSONDecodeError:
                message = None
            if not isinstance(message, dict):
                await _send(ws, {"type": "error", "message": "send JSON objects"})
                continue
            problem = subscription.update(message)
            if problem is not None:
                await _send(ws, {"type": "error", "message": problem})
            if message.get("stats") or message.get("type") == "stats":
                await _send(ws, _stats(stream))
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender


async def _pump(
    state: ApiState, ws: web.WebSocketResponse, stream: EventStream, subscription: Subscription
) -> None:
    """Forward the stream's events to the socket; tell the client when some were dropped."""
    text, send_str = state.encoded.text, ws.send_str
    reported = 0
    async for event in stream:
        if KINDS[type(event)] not in subscription.kinds:
            continue
        devices = subscription.devices
        if devices is not None:
            device_id = device_of(event)
            if device_id is not None and device_id not in devices:
                continue
        await send_str(text(event))
        state.ws_sent += 1
        if stream.dropped != reported:
            reported = stream.dropped
            await _send(ws, _stats(stream))


def _stats(stream: EventStream) -> dict[str, Any]:
    return {"type": "stats", "dropped": stream.dropped}


async def _send(ws: web.WebSocketResponse, message: dict[str, Any]) -> None:
    await ws.send_str(dumps(message).decode())


async def close_clients(state: ApiState, token_id: str | None = None) -> None:
    """Close every live client (shutting down), or those of one token (revoked)."""
    for ws, client in list(state.ws_clients.items()):
        if token_id is None:
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"the hub is stopping")
        elif client.caller.token_id == token_id:
            await ws.close(code=UNAUTHORIZED, message=b"this token was revoked")


ROUTES = [
    Route("GET", "/api/events", events, Scope.READ, "Live events (a WebSocket)",
          content_type="application/json", status=101, errors=(426, 503), tag="events",
          websocket=True,
          description="Send the token in the Authorization header, or (browsers) as the first "
          "message {\"token\": \"...\"} within 3 s (close codes: 4401 wrong or missing token, "
          "4403 scope, 4408 too slow, 4429 locked out). Then {\"subscribe\": [kinds], "
          "\"devices\": [ids]} chooses what arrives; {\"stats\": true} answers "
          "{\"type\": \"stats\", \"dropped\": n}. Kinds: state, availability, event, device, "
          "automation, notification."),
]  # fmt: skip
