"""What every request meets: the origin check (CORS), errors as JSON, and the token check;
and on every response, the security headers."""

from __future__ import annotations

import ipaddress
import logging
import socket
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler
from pydantic import ValidationError

from hub.api.context import CALLER, CONTEXT, STATE
from hub.api.errors import (
    ApiError,
    from_http_exception,
    from_hub_error,
    from_validation_error,
)
from hub.api.routes import ACCESS, Scope
from hub.errors import HubError

_LOGGER = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob:; connect-src 'self'; object-src 'none'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
CORS_HEADERS = {
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Idempotency-Key",
    "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE",
    "Access-Control-Max-Age": "600",
}
_CROSS_ORIGIN: web.RequestKey[str] = web.RequestKey("cross_origin", str)


def _same_origin(request: web.Request, origin: str) -> bool:
    """Whether ``origin`` is where this connection really arrived, not where it says it did.

    The ``Host`` header is the client's to choose: a page of ``http://evil.example:8321``
    whose name an attacker re-points at the hub (DNS rebinding) sends a matching ``Host``.
    So the origin is compared with the socket's own address and port instead: its host must
    be that address, ``localhost`` (when it arrived on loopback), or this machine's own name
    (``name`` or ``name.local``, which no outside DNS can answer for). Any other name the hub
    is reached by (a reverse proxy, a DNS name of the home's) goes in ``api.cors_origins``.
    """
    parts = urlsplit(origin)
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if parts.scheme != request.scheme or not parts.hostname or not sockname:
        return False
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return False
    local = ipaddress.ip_address(str(sockname[0]).split("%")[0])
    if isinstance(local, ipaddress.IPv6Address) and local.ipv4_mapped is not None:
        local = local.ipv4_mapped  # a dual-stack socket reached over IPv4
    if port != sockname[1]:
        return False
    host = parts.hostname.lower()
    try:
        return ipaddress.ip_address(host) == local
    except ValueError:
        pass
    if host == "localhost":
        return local.is_loopback
    name = socket.gethostname().lower()
    return host in (name, f"{name}.local")


@web.middleware
async def origin_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Same-origin only, unless the configuration lists the origin (never a wildcard)."""
    origin = request.headers.get("Origin")
    if origin is None or _same_origin(request, origin):
        return await handler(request)
    if origin not in request.app[CONTEXT].cors_origins:
        return ApiError(403, "origin_not_allowed", "this origin may not use the hub's API",
                        "Origin").response()  # fmt: skip
    request[_CROSS_ORIGIN] = origin
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        return web.Response(status=204)
    return await handler(request)


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: every answer, errors and the WebSocket handshake included."""
    headers = response.headers
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    origin = request.get(_CROSS_ORIGIN)
    if isinstance(origin, str):
        headers["Access-Control-Allow-Origin"] = origin
        headers["Vary"] = "Origin"
        headers.update(CORS_HEADERS)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure as ``{"error": {...}}``; a traceback never leaves the hub."""
    try:
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return from_http_exception(exc).response()
    except HubError as exc:
        return from_hub_error(exc).response()
    except ValidationError as exc:
        return from_validation_error(exc).response()
    except Exception:
        _LOGGER.exception("unexpected error answering %s %s", request.method, request.path)
        return ApiError(500, "internal", "the hub failed to handle this request; its log "
                        "has the details").response()  # fmt: skip


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The bearer token must cover the route's scope; wrong tokens back off per token id."""
    access = request.app[ACCESS].get(request.match_info.route.handler)
    if access is None or access.scope is Scope.NONE:
        return await handler(request)
    header = request.headers.get("Authorization")
    if header is None:
        if access.websocket and request.headers.get("Upgrade", "").lower() == "websocket":
            return await handler(request)  # a browser: the token comes as the first message
        raise ApiError(401, "no_token", "this needs a token: pair this device first and send "
                       "'Authorization: Bearer <token>'", "Authorization",
                       {"WWW-Authenticate": "Bearer"})  # fmt: skip
    scheme, _, token = header.partition(" ")
    token = token.strip()
    auth = request.app[CONTEXT].auth
    caller = auth.check(token) if scheme.lower() == "bearer" else None
    if caller is None:
        wait = request.app[STATE].guesses.token_failed(token, auth.ids, request.remote or "?")
        if wait:
            message = f"too many wrong tokens for this token id; try again in {wait} s"
            raise ApiError(429, "locked_out", message, "Authorization", {"Retry-After": str(wait)})
        raise ApiError(401, "bad_token", "this token is not valid (revoked, or never issued)",
                       "Authorization", {"WWW-Authenticate": "Bearer"})  # fmt: skip
    if not caller.allows(access.scope):
        raise ApiError(403, "forbidden", f"this token lacks the '{access.scope}' scope",
                       "Authorization")  # fmt: skip
    request[CALLER] = caller
    return await handler(request)


class RawRequestRedactor(logging.Filter):
    """aiohttp logs a request it cannot parse with the offending bytes in the exception, and
    those may be an Authorization header: keep the client and the kind of error, drop the rest.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            client = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            record.msg = "malformed HTTP request from %s (%s %s); answered 400"
            record.args = (client, type(error).__name__, error.code)
            record.exc_info, record.exc_text = None, None
        return True


def redact_raw_requests() -> None:
    """Install the redactor on aiohttp's server logger (once)."""
    server = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, RawRequestRedactor) for f in server.filters):
        server.addFilter(RawRequestRedactor())
