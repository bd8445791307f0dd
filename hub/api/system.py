"""Health, version, counters, pairing and tokens."""

from __future__ import annotations

import time

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from hub.api.context import context
from hub.api.errors import error_response, parse_body
from hub.api.routes import Route, Scope
from hub.devices.model import Availability


class PairBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=4, max_length=32)
    name: str = Field("phone", min_length=1, max_length=80)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def version(request: web.Request) -> web.Response:
    return web.json_response({"name": "mihub", "version": context(request).version})


async def stats(request: web.Request) -> web.Response:
    ctx = context(request)
    devices = ctx.registry.devices.values()
    uptime = max(time.time() - ctx.started, 1e-9)
    engine = ctx.engine
    return web.json_response({
        "devices": len(ctx.registry.devices),
        "devices_online": sum(d.availability is Availability.ONLINE for d in devices),
        "events": ctx.bus.published,
        "events_per_second": round(ctx.bus.published / uptime, 2),
        "automations": 0 if engine is None else len(engine.automations),
        "automation_runs": 0 if engine is None else engine.runs_total,
        "websocket_clients": ctx.ws_clients,
        "websocket_dropped": ctx.ws_dropped,
        "uptime": round(uptime, 1),
    })  # fmt: skip


async def pair(request: web.Request) -> web.Response:
    ctx = context(request)
    client = request.remote or "?"
    body = await parse_body(request, PairBody)
    issued = await ctx.auth.pair(body.code, body.name)
    if issued is None:
        ctx.auth.lockout.failed(client)
        return error_response(401, "bad_code", "that pairing code is unknown or expired", "code")
    token, scopes = issued
    return web.json_response({"token": token, "scopes": scopes}, status=201)


async def list_tokens(request: web.Request) -> web.Response:
    return web.json_response({"tokens": await context(request).auth.list_tokens()})


async def revoke_token(request: web.Request) -> web.Response:
    if not await context(request).auth.revoke(request.match_info["token_id"]):
        return error_response(404, "not_found", "no such token")
    return web.Response(status=204)


ROUTES = [
    Route("GET", "/api/health", health, Scope.NONE, "Is the hub up (no token needed)"),
    Route("GET", "/api/version", version, Scope.READ, "Version"),
    Route("GET", "/api/system/stats", stats, Scope.READ, "Counters a tinkerer wants"),
    Route("POST", "/api/pair", pair, Scope.NONE, "Exchange a pairing code for a token",
          PairBody),
    Route("GET", "/api/tokens", list_tokens, Scope.ADMIN, "Tokens (never their secrets)"),
    Route("DELETE", "/api/tokens/{token_id}", revoke_token, Scope.ADMIN, "Revoke a token"),
]  # fmt: skip
