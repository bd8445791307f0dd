"""Pairing a phone (a one-time code for a token) and managing the tokens."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hub.api import models
from hub.api.auth import PAIRING_TTL, pairing_url
from hub.api.context import CALLER, api_state, context
from hub.api.errors import ApiError
from hub.api.events import close_clients
from hub.api.jsonio import json_response, parse_body
from hub.api.routes import Route, Scope

_LOGGER = logging.getLogger(__name__)

ScopeName = Literal["read", "control", "admin"]


class PairBody(BaseModel):
    """A pairing code from ``mihub pair`` (or another paired phone) and a name for the token."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=4, max_length=32)
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=80)] = "phone"  # fmt: skip


class PairingCodeBody(BaseModel):
    """What the phone paired with the new code may do."""

    model_config = ConfigDict(extra="forbid")
    scopes: list[ScopeName] = Field(default=["read", "control"], min_length=1, max_length=3)


async def pair(request: web.Request) -> web.Response:
    ctx, guesses = context(request), api_state(request).guesses
    body = await parse_body(request, PairBody)
    client = request.remote or "?"
    code = await ctx.auth.take_code(body.code)
    if code is not None and not code.expired:
        if guesses.code_void(code.created):
            _LOGGER.warning("a pairing code from %s was refused: too many wrong codes were "
                            "tried while it was valid; make a new one", client)  # fmt: skip
            message = ("this pairing code no longer works: too many wrong codes were tried "
                       "while it was valid; make a new one")  # fmt: skip
            raise ApiError(401, "code_void", message, "code")
        token = await ctx.auth.issue(body.name, code.scopes)
        token_id = token.partition(".")[0]
        return json_response({"token": token, "id": token_id, "name": body.name,
                              "scopes": list(code.scopes)}, status=201,
                             headers={"Cache-Control": "no-store"})  # fmt: skip
    wait = 0 if code is not None else guesses.pairing_failed(client)  # expired: not a guess
    if wait:
        raise ApiError(429, "locked_out", "too many wrong pairing codes were tried; codes made "
                       f"before now no longer work: make a new one, or wait {wait} s",
                       "code", {"Retry-After": str(wait)})  # fmt: skip
    raise ApiError(401, "bad_code", "that pairing code is unknown, used or expired", "code")


async def new_pairing_code(request: web.Request) -> web.Response:
    body = await parse_body(request, PairingCodeBody)
    code = await context(request).auth.create_pairing_code(body.scopes)
    url = pairing_url(f"{request.scheme}://{request.host}", code)
    return json_response({"code": code, "expires_in": PAIRING_TTL, "url": url}, status=201,
                         headers={"Cache-Control": "no-store"})  # fmt: skip


async def session(request: web.Request) -> web.Response:
    caller = request[CALLER]
    scopes = [s for s in ("read", "control", "admin") if s in caller.scopes]
    return json_response({"id": caller.token_id, "name": caller.name, "scopes": scopes})


async def list_tokens(request: web.Request) -> web.Response:
    return json_response({"tokens": await context(request).auth.list_tokens()})


async def revoke_token(request: web.Request) -> web.Response:
    token_id = request.match_info["token_id"]
    if not await context(request).auth.revoke(token_id):
        raise ApiError(404, "not_found", f"no token '{token_id}'", "token_id")
    await close_clients(api_state(request), token_id)
    return web.Response(status=204)


_T = "pairing"
ROUTES = [
    Route("POST", "/api/pair", pair, Scope.NONE, "Exchange a pairing code for a token",
          PairBody, models.Paired, status=201, errors=(401, 429), tag=_T,
          description="The token is in this answer only; the hub keeps its hash. Wrong "
          "codes count towards one hub-wide budget: past it they answer 429 (Retry-After) and "
          "the codes made before then stop working; a right code is always accepted."),
    Route("POST", "/api/pairing-codes", new_pairing_code, Scope.ADMIN,
          "A one-time code for pairing another phone", PairingCodeBody,
          models.PairingCodeOut, status=201, tag=_T),
    Route("GET", "/api/session", session, Scope.READ, "Who this token is, and its scopes",
          response=models.SessionOut, tag=_T),
    Route("GET", "/api/tokens", list_tokens, Scope.ADMIN, "Tokens (never the tokens themselves)",
          response=models.TokenList, tag=_T),
    Route("DELETE", "/api/tokens/{token_id}", revoke_token, Scope.ADMIN, "Revoke a token",
          status=204, errors=(404,), tag=_T),
]  # fmt: skip
