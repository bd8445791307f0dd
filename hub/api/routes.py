"""The route table: one list drives the aiohttp router, the auth middleware's scope checks and
the OpenAPI document, so the three cannot drift apart."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Scope(StrEnum):
    NONE = "none"
    READ = "read"
    CONTROL = "control"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Param:
    """A query or header parameter (path parameters come from the path itself)."""

    name: str
    location: Literal["query", "header"]
    schema: Mapping[str, Any]
    description: str = ""
    required: bool = False


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    scope: Scope
    summary: str
    body: type[BaseModel] | tuple[type[BaseModel], ...] | None = None
    """The JSON body's model; a tuple means exactly one of them (``oneOf``)."""
    response: type[BaseModel] | None = None
    status: int = 200
    content_type: str = "application/json"
    alternates: tuple[str, ...] = ()
    """Other content types the success answer can take (as plain text, e.g. text/csv)."""
    errors: tuple[int, ...] = ()
    """Statuses besides the ones every route of its kind can answer (see openapi.py)."""
    params: tuple[Param, ...] = ()
    tag: str = "system"
    description: str = ""
    body_required: bool = True
    websocket: bool = False
    """The handler authenticates by itself when no Authorization header came (browsers)."""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RouteAccess:
    scope: Scope
    websocket: bool


ACCESS: web.AppKey[dict[Handler, RouteAccess]] = web.AppKey("route_access", dict)
