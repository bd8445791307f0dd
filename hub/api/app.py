"""The aiohttp application: routes from one table, and the middlewares every request meets
(security headers, CORS, auth with scopes and a lockout, errors as JSON)."""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler as AiohttpHandler

from hub.api import automations, devices, events, system
from hub.api.context import CALLER, CONTEXT, ApiContext
from hub.api.errors import error_response, from_exception
from hub.api.openapi import build_document, docs_handler, openapi_handler
from hub.api.routes import SCOPE_KEY, Route, Scope

_LOGGER = logging.getLogger(__name__)
WEB = Path(__file__).parent / "web"
ROUTES: list[Route] = [*devices.ROUTES, *automations.ROUTES, *events.ROUTES, *system.ROUTES]

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@web.middleware
async def security(request: web.Request, handler: AiohttpHandler) -> web.StreamResponse:
    origin = request.headers.get("Origin")
    allowed = request.app[CONTEXT].cors_origins
    if request.method == "OPTIONS" and origin:
        if origin not in allowed:
            return error_response(403, "cors", "this origin may not use the API")
        response: web.StreamResponse = web.Response(status=204)
    else:
        response = await handler(request)
    if not response.prepared:
        response.headers.update(SECURITY_HEADERS)
        if origin and origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Headers"] = (
                "Authorization, Content-Type, Idempotency-Key"
            )
            response.headers["Vary"] = "Origin"
    return response


@web.middleware
async def guard(request: web.Request, handler: AiohttpHandler) -> web.StreamResponse:
    """Auth and errors: the token's scope must cover the route; failures are JSON."""
    ctx = request.app[CONTEXT]
    scope = request.app[SCOPE_KEY].get(request.match_info.route.handler, Scope.NONE)
    client = request.remote or "?"
    try:
        if scope is not Scope.NONE or request.path == "/api/pair":
            wait = ctx.auth.lockout.retry_after(client)
            if wait:
                return error_response(429, "locked_out", "too many failed attempts; wait",
                                      **{"Retry-After": str(wait)})  # fmt: skip
        header = request.headers.get("Authorization", "")
        if header:
            token = header.removeprefix("Bearer ").strip()
            caller = await ctx.auth.verify(token)
            if caller is None:
                ctx.auth.lockout.failed(client)
                return error_response(401, "bad_token", "this token is not valid")
            request[CALLER] = caller
            if not caller.allows(scope):
                return error_response(403, "scope", f"this token lacks the '{scope}' scope")
        elif scope is not Scope.NONE:
            return error_response(401, "no_token", "send Authorization: Bearer <token>",
                                  **{"WWW-Authenticate": "Bearer"})  # fmt: skip
        return await handler(request)
    except web.HTTPException as exc:
        if exc.content_type == "application/json":
            raise
        return error_response(exc.status, "http", exc.reason)
    except Exception as exc:
        return from_exception(exc)


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(WEB / "index.html")


def create_app(ctx: ApiContext) -> web.Application:
    app = web.Application(middlewares=[security, guard], client_max_size=256 * 1024)
    app[CONTEXT] = ctx
    scopes = {}
    for route in ROUTES:
        app.router.add_route(route.method, route.path, route.handler)
        scopes[route.handler] = route.scope
    document = build_document(ROUTES, ctx.version)
    openapi, docs = openapi_handler(document), docs_handler(document)
    app.router.add_get("/api/openapi.json", openapi)
    app.router.add_get("/api/docs", docs)
    app.router.add_get("/", _index)
    for name in ("app.js", "style.css"):
        app.router.add_get(f"/{name}", _static(name))
    app[SCOPE_KEY] = scopes
    return app


def _static(name: str) -> AiohttpHandler:
    async def serve(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(WEB / name)

    return serve
