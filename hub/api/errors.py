"""One error shape for every API answer: ``{"error": {"code", "message", "field"}}``.

The hub's exception tree is translated here, at the boundary, and nowhere else:
``DeviceTimeout`` -> 504, ``DeviceAuthError`` -> 502 with what to do about it,
``DeviceUnavailable`` (known offline, nothing sent) -> 503, other device failures -> 502,
``InvalidValue`` and validation -> 422, ``NotFound`` -> 404.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from aiohttp import web
from pydantic import ValidationError

from hub.errors import (
    ConfigError,
    DeviceAuthError,
    DeviceError,
    DeviceTimeout,
    DeviceUnavailable,
    HubError,
    InvalidValue,
    NotFound,
    StoreError,
)
from hub.scenes.model import DuplicateId, InvalidDefinition


class ApiError(Exception):
    """An answer other than success; ``field`` names the part of the request at fault."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = dict(headers or {})

    def body(self) -> bytes:
        error = {"code": self.code, "message": self.message, "field": self.field}
        return orjson.dumps({"error": error})

    def response(self) -> web.Response:
        return web.Response(
            status=self.status,
            body=self.body(),
            content_type="application/json",
            headers=self.headers,
        )


def error_response(
    status: int, code: str, message: str, field: str | None = None, **headers: str
) -> web.Response:
    return ApiError(status, code, message, field, headers).response()


def from_hub_error(exc: HubError, field: str | None = None) -> ApiError:
    """The API answer for one of the hub's own errors."""
    if isinstance(exc, DeviceTimeout):
        return ApiError(504, "device_timeout", f"the device did not answer: {exc}")
    if isinstance(exc, DeviceUnavailable):
        return ApiError(503, "device_offline", f"the device is {exc}")
    if isinstance(exc, DeviceAuthError):
        return ApiError(
            502,
            "device_auth",
            f"the hub cannot talk to this device: its token is wrong ({exc}). Re-enter it: "
            "paste it on the phone page (POST /api/onboarding/token), or `mihub import-tokens "
            "FILE` from a backup, or reset and `mihub onboard` the device.",
        )
    if isinstance(exc, DeviceError):
        return ApiError(502, "device_error", f"the device refused or failed: {exc}")
    if isinstance(exc, StoreError):
        return ApiError(503, "store_failed", f"nothing was saved: {exc}")
    if isinstance(exc, NotFound):
        return ApiError(404, "not_found", str(exc), field)
    if isinstance(exc, DuplicateId):
        return ApiError(409, "exists", str(exc), field or "id")
    if isinstance(exc, InvalidDefinition):
        problems = exc.problems
        where = problems[0]["field"] if problems else ""
        message = problems[0]["message"] if problems else str(exc)
        if len(problems) > 1:
            message += f" (and {len(problems) - 1} more: see the other fields)"
        at = clean_field(where) if where and where != "(top level)" else "body"
        return ApiError(422, "validation_error", f"{at}: {message}", at)
    if isinstance(exc, InvalidValue):
        return ApiError(422, "invalid_value", str(exc), field or "value")
    if isinstance(exc, ConfigError):
        return ApiError(422, "invalid", str(exc), field)
    return ApiError(422, "rejected", str(exc), field)


def from_validation_error(exc: ValidationError, prefix: str = "") -> ApiError:
    """422 naming the first offending field (``targets.0.value``); never echoes the input."""
    errors = exc.errors(include_input=False, include_url=False, include_context=False)
    if not errors:
        return ApiError(422, "validation_error", "the body is not valid", prefix or "body")
    first = errors[0]
    field = clean_field(".".join(str(part) for part in first["loc"]))
    if prefix:
        field = f"{prefix}.{field}" if field else prefix
    message = str(first["msg"])
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return ApiError(422, "validation_error", message, field or "body")


_UNION_TAGS = frozenset({"bool", "int", "float", "str", "none", "list", "dict"})


def clean_field(field: str) -> str:
    """``targets.0.value.bool`` -> ``targets.0.value``: pydantic names a union's member after
    the field; a client wrote the field."""
    parts = [p for p in field.split(".") if p not in _UNION_TAGS and "[" not in p]
    return ".".join(parts)


def from_http_exception(exc: web.HTTPException) -> ApiError:
    """aiohttp's own answers (unknown route, wrong method, body too large) in our shape."""
    codes = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}
    messages = {
        404: "no such route",
        405: "this route does not take that method",
        413: "the request body is too large",
    }
    status = exc.status
    keep = {"allow", "retry-after"}
    headers = {k: v for k, v in exc.headers.items() if k.lower() in keep}
    field = "body" if status == 413 else None
    return ApiError(status, codes.get(status, "http_error"), messages.get(status, exc.reason),
                    field, headers)  # fmt: skip
