"""Health, version and the counters a tinkerer wants."""

from __future__ import annotations

import time

from aiohttp import web

from hub.api import models
from hub.api.context import api_state, context
from hub.api.errors import error_response, from_hub_error
from hub.api.jsonio import json_response
from hub.api.routes import Route, Scope
from hub.devices.model import Availability
from hub.errors import HubError

API_VERSION = 1


async def health(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def version(request: web.Request) -> web.Response:
    return json_response({"name": "mihub", "version": context(request).version,
                          "api": API_VERSION})  # fmt: skip


async def stats(request: web.Request) -> web.Response:
    ctx, state = context(request), api_state(request)
    devices = ctx.registry.devices.values()
    engine = ctx.engine
    live = state.ws_clients.values()
    counters = {} if ctx.counters is None else dict(ctx.counters())
    return json_response({
        "devices": len(ctx.registry.devices),
        "devices_online": sum(d.availability is Availability.ONLINE for d in devices),
        "events": ctx.bus.published,
        "events_per_second": round(state.events.rate(ctx.bus.published), 2),
        "automations": 0 if engine is None else len(engine.automations),
        "automation_runs": 0 if engine is None else engine.runs_total,
        "websocket_clients": len(state.ws_clients),
        "websocket_dropped": state.ws_dropped + sum(c.stream.dropped for c in live),
        "websocket_sent": state.ws_sent,
        "idempotency_keys": len(state.idempotency),
        "uptime": round(time.time() - ctx.started, 1),
        "counters": counters,
    })  # fmt: skip


async def reload(request: web.Request) -> web.Response:
    ctx = context(request)
    if ctx.reload is None:
        message = "this hub was not started from a config file: there is nothing to reload"
        return error_response(409, "no_config_file", message)
    try:
        report = await ctx.reload()
    except HubError as exc:
        raise from_hub_error(exc) from None
    return json_response(report.as_dict())


ROUTES = [
    Route("GET", "/api/health", health, Scope.NONE, "Is the hub up (no token needed)",
          response=models.Health),
    Route("GET", "/api/version", version, Scope.READ, "The hub's version",
          response=models.VersionOut),
    Route("GET", "/api/system/stats", stats, Scope.READ,
          "Devices online, events per second, automation runs, live clients, drops",
          response=models.Stats),
    Route("POST", "/api/system/reload", reload, Scope.ADMIN,
          "Apply config.yaml's changes without a restart", response=models.ReloadOut,
          errors=(409, 422),
          description="Scenes, automations and miio.devices change in place; devices that "
          "did not change keep running. A config that does not load changes nothing (422, "
          "naming its line). Other sections are listed in restart_needed."),
]  # fmt: skip
