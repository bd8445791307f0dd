"""JSON in and out: strict parsing of request bodies, fast encoding of answers (orjson)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel, ValidationError

from hub.api.errors import ApiError, from_validation_error

M = TypeVar("M", bound=BaseModel)


def dumps(data: Any) -> bytes:
    """orjson, with the standard library as the fallback for what it refuses (huge ints)."""
    try:
        return orjson.dumps(data)
    except TypeError:
        return json.dumps(data, default=str, allow_nan=False).encode()


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=dumps(data), status=status, content_type="application/json", headers=headers
    )


def dump_model(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def read_json(request: web.Request) -> Any:
    """The body as strict JSON (no NaN, no Infinity), or a 4xx that says what is wrong."""
    if request.content_type != "application/json":
        raise ApiError(415, "content_type", "send the body as application/json", "body")
    raw = await request.read()
    if not raw:
        raise ApiError(400, "no_body", "this route needs a JSON body", "body")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "bad_json", f"the body is not JSON: {exc}", "body") from None


async def parse_body(request: web.Request, model: type[M]) -> M:
    """The request body as ``model``, or a 4xx naming the field that is wrong."""
    return validate(model, await read_json(request))


def validate(model: type[M], data: Any, prefix: str = "") -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, prefix) from None
