"""Every failure becomes a JSON error that says what is wrong and where."""

from __future__ import annotations

import json
import logging
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from hub.errors import (
    ConfigError,
    DeviceAuthError,
    DeviceError,
    DeviceTimeout,
    HubError,
    InvalidValue,
    NotFound,
)

_LOGGER = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


def error_response(
    status: int, code: str, message: str, field: str | None = None, **headers: str
) -> web.Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return web.json_response({"error": error}, status=status, headers=headers or None)


def from_exception(exc: Exception) -> web.Response:
    if isinstance(exc, NotFound):
        return error_response(404, "not_found", str(exc))
    if isinstance(exc, InvalidValue):
        return error_response(422, "invalid_value", str(exc), "value")
    if isinstance(exc, ConfigError):
        return error_response(422, "invalid", str(exc))
    if isinstance(exc, DeviceTimeout):
        return error_response(504, "device_timeout", f"the device did not answer: {exc}")
    if isinstance(exc, DeviceAuthError):
        return error_response(502, "device_auth", f"the device refused our token: {exc}")
    if isinstance(exc, DeviceError):
        return error_response(502, "device_error", str(exc))
    if isinstance(exc, HubError):
        return error_response(409, "refused", str(exc))
    _LOGGER.exception("unexpected error in the API")
    return error_response(500, "internal", "the hub failed to handle this request; see its log")


async def parse_body(request: web.Request, model: type[M]) -> M:
    """The request body as ``model``, or a 4xx naming the field that is wrong."""
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(
            text=json.dumps({"error": {"code": "content_type",
                                       "message": "send application/json"}}),
            content_type="application/json",
        )  # fmt: skip
    try:
        data = await request.json()
    except ValueError as exc:
        raise _http(400, "bad_json", f"the body is not JSON: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise _http(422, "invalid", first["msg"], field) from exc


def _http(status: int, code: str, message: str, field: str | None = None) -> web.HTTPException:
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    exc = web.HTTPException(text=json.dumps({"error": error}), content_type="application/json")
    exc.set_status(status)
    return exc
