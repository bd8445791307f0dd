"""The aiohttp application: routes from one table, the middlewares every request meets
(origin check, errors as JSON, tokens and scopes), security headers, and the phone page."""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from hub.api import (
    automations,
    devices,
    events,
    history,
    onboarding,
    openapi,
    pairing,
    scenes,
    suggestions,
    system,
)
from hub.api.auth import PAIRING_TTL
from hub.api.context import CONTEXT, STATE, ApiContext, ApiState, SnapshotProvider
from hub.api.device_cache import DeviceJsonCache, gzip
from hub.api.limits import GuessLimits
from hub.api.middleware import add_headers, errors, guard, origin_guard, redact_raw_requests
from hub.api.routes import ACCESS, Route, RouteAccess

__all__ = ["ROUTES", "ApiContext", "SnapshotProvider", "create_app"]

WEB = Path(__file__).parent / "web"
ROUTES: list[Route] = [
    *devices.ROUTES,
    *history.ROUTES,
    *scenes.ROUTES,
    *automations.ROUTES,
    *suggestions.ROUTES,
    *events.ROUTES,
    *pairing.ROUTES,
    *system.ROUTES,
    *onboarding.ROUTES,
    *openapi.ROUTES,
]
STATIC = {
    "index.html": "text/html",
    "boot.js": "text/javascript",
    "app.js": "text/javascript",
    "core.js": "text/javascript",
    "home.js": "text/javascript",
    "device.js": "text/javascript",
    "chart.js": "text/javascript",
    "automations.js": "text/javascript",
    "scenes.js": "text/javascript",
    "automation-form.js": "text/javascript",
    "token.js": "text/javascript",
    "editors.js": "text/javascript",
    "trace.js": "text/javascript",
    "yaml.js": "text/javascript",
    "suggestions.js": "text/javascript",
    "sw.js": "text/javascript",
    "style.css": "text/css",
    "icon.svg": "image/svg+xml",
    "icon-192.png": "image/png",
    "icon-512.png": "image/png",
    "manifest.webmanifest": "application/manifest+json",
}
MAX_BODY = 256 * 1024


@functools.lru_cache(maxsize=4)
def document(version: str) -> dict[str, Any]:
    """The OpenAPI document of ``ROUTES``, built on first request (~0.1 s and ~1 MB that a hub
    nobody asks for its document never spends)."""
    return openapi.build_document(ROUTES, version)


def create_app(ctx: ApiContext) -> web.Application:
    redact_raw_requests()
    app = web.Application(middlewares=[origin_guard, errors, guard], client_max_size=MAX_BODY)
    app[CONTEXT] = ctx
    guesses = GuessLimits(ctx.auth_failures, ctx.auth_window, ctx.pairing_ceiling, PAIRING_TTL)
    app[STATE] = ApiState(guesses, DeviceJsonCache(ctx.registry))
    build: Callable[[], dict[str, Any]] = functools.partial(document, ctx.version)
    app[openapi.DOCUMENT] = build
    access = {}
    for route in ROUTES:
        if route.method == "GET":  # and HEAD, answered like GET without the body
            app.router.add_get(route.path, route.handler)
        else:
            app.router.add_route(route.method, route.path, route.handler)
        access[route.handler] = RouteAccess(route.scope, route.websocket)
    app[ACCESS] = access
    app.router.add_get("/", _static("index.html"))
    for name in STATIC:
        app.router.add_get(f"/{name}", _static(name))
    app.on_response_prepare.append(add_headers)
    app.on_startup.append(_load_tokens)
    app.on_shutdown.append(_close_clients)
    return app


async def _load_tokens(app: web.Application) -> None:
    await app[CONTEXT].auth.load()


async def _close_clients(app: web.Application) -> None:
    await events.close_clients(app[STATE])


def _static(name: str) -> Any:
    """One file of the phone page, read and gzipped once (on its first request), with an
    ETag: a phone that has it asks again (no-cache) and hears 304 with no body."""
    path = WEB / name
    packed = not name.endswith(".png")
    kept: dict[str, tuple[bytes, bytes, str]] = {}

    async def serve(request: web.Request) -> web.StreamResponse:
        if not kept:  # off the loop: a file read and its gzip, once
            kept[name] = await asyncio.to_thread(_prepared, path, packed)
        body, zipped, etag = kept[name]
        headers = {"Cache-Control": "no-cache", "ETag": etag, "Vary": "Accept-Encoding"}
        if etag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=headers)
        headers["Content-Type"] = STATIC[name]
        if packed and "gzip" in request.headers.get("Accept-Encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return web.Response(body=zipped, headers=headers)
        return web.Response(body=body, headers=headers)

    serve.__name__ = f"static_{name.replace('.', '_')}"
    return serve


def _prepared(path: Path, packed: bool) -> tuple[bytes, bytes, str]:
    """A file's bytes, their gzip (or the bytes again) and an ETag from their hash."""
    body = path.read_bytes()
    return body, gzip(body) if packed else body, f'"{hashlib.sha256(body).hexdigest()[:20]}"'
