"""The route table: one list drives both the aiohttp router and the OpenAPI document,
so the two cannot drift apart."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from aiohttp import web
from pydantic import BaseModel

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Scope(StrEnum):
    NONE = "none"
    READ = "read"
    CONTROL = "control"
    ADMIN = "admin"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    scope: Scope
    summary: str
    body: type[BaseModel] | None = None
    response: str = "application/json"
    tag: str = "system"


SCOPE_KEY: web.AppKey[dict[Handler, Scope]] = web.AppKey("scopes", dict)
