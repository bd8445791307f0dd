"""Devices: list, get, rename / move, commands (idempotent on request), camera snapshots."""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.api.context import context
from hub.api.errors import error_response, parse_body
from hub.api.routes import Route, Scope
from hub.devices.model import FeatureKind

Scalar = bool | int | float | str


class DevicePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=80)
    room: str | None = Field(None, max_length=80)


class CommandBody(BaseModel):
    """Either a feature and its new value, or an action and its arguments."""

    model_config = ConfigDict(extra="forbid")
    feature: str | None = Field(None, max_length=80)
    value: Scalar | None = None
    action: str | None = Field(None, max_length=80)
    args: dict[str, Scalar] = {}

    @model_validator(mode="after")
    def _one_of(self) -> CommandBody:
        if (self.feature is None) == (self.action is None):
            raise ValueError("give either 'feature' and 'value', or 'action'")
        if self.feature is not None and self.value is None:
            raise ValueError("'value' is required with 'feature'")
        return self


IDEMPOTENCY_TTL = 600.0
_answers: OrderedDict[str, tuple[float, int, bytes]] = OrderedDict()


async def list_devices(request: web.Request) -> web.Response:
    registry = context(request).registry
    room = request.query.get("room")
    kind = request.query.get("kind")
    devices = []
    for device in registry.devices.values():
        if room is not None and device.room != room:
            continue
        if kind is not None and not any(str(f.kind) == kind for f in device.features.values()):
            continue
        devices.append(device.as_dict())
    return web.Response(text=json.dumps({"devices": devices}), content_type="application/json")


async def get_device(request: web.Request) -> web.Response:
    device = context(request).registry.get(request.match_info["device_id"])
    return web.json_response(device.as_dict())


async def patch_device(request: web.Request) -> web.Response:
    body = await parse_body(request, DevicePatch)
    device = context(request).registry.rename(request.match_info["device_id"], body.name, body.room)
    return web.json_response(device.as_dict())


async def command(request: web.Request) -> web.Response:
    key = request.headers.get("Idempotency-Key")
    device_id = request.match_info["device_id"]
    if key is not None:
        _expire()
        seen = _answers.get(f"{device_id}:{key}")
        if seen is not None:
            return web.Response(body=seen[2], status=seen[1], content_type="application/json",
                                headers={"Idempotent-Replay": "true"})  # fmt: skip
    body = await parse_body(request, CommandBody)
    registry = context(request).registry
    answer: dict[str, Any]
    if body.action is not None:
        out = await registry.call_action(device_id, body.action, body.args)
        answer = {"device": device_id, "action": body.action, "status": "acknowledged", **out}
        status = 200
    else:
        assert body.feature is not None  # noqa: S101 - guaranteed by CommandBody
        result = await registry.command(device_id, body.feature, body.value)
        answer = {"device": device_id, "feature": body.feature, "value": result.value,
                  "status": str(result.status)}  # fmt: skip
        if result.error:
            answer["error"] = result.error
        status = 200 if result.error is None else 502
    payload = json.dumps(answer).encode()
    if key is not None:
        _answers[f"{device_id}:{key}"] = (time.monotonic(), status, payload)
    return web.Response(body=payload, status=status, content_type="application/json")


def _expire() -> None:
    now = time.monotonic()
    while _answers and (
        len(_answers) > 10_000 or now - next(iter(_answers.values()))[0] > IDEMPOTENCY_TTL
    ):
        _answers.popitem(last=False)


async def snapshot(request: web.Request) -> web.Response:
    ctx = context(request)
    device = ctx.registry.get(request.match_info["device_id"])
    if not any(f.kind is FeatureKind.IMAGE for f in device.features.values()):
        return error_response(404, "no_camera", f"'{device.id}' has no camera")
    if ctx.snapshot is None:
        return error_response(503, "unavailable", "snapshots are not available")
    image = await ctx.snapshot(device.id)
    return web.Response(body=image, content_type="image/jpeg",
                        headers={"Cache-Control": "no-store"})  # fmt: skip


async def rooms(request: web.Request) -> web.Response:
    ctx = context(request)
    names = list(dict.fromkeys([*ctx.rooms, *(d.room for d in ctx.registry.devices.values()
                                               if d.room)]))  # fmt: skip
    result = [
        {"name": name, "devices": [d.id for d in ctx.registry.devices.values() if d.room == name]}
        for name in names
    ]
    return web.json_response({"rooms": result})


ROUTES = [
    Route("GET", "/api/devices", list_devices, Scope.READ, "List devices (filter by room, kind)",
          tag="devices"),
    Route("GET", "/api/devices/{device_id}", get_device, Scope.READ, "One device", tag="devices"),
    Route("PATCH", "/api/devices/{device_id}", patch_device, Scope.ADMIN, "Rename or move",
          DevicePatch, tag="devices"),
    Route("POST", "/api/devices/{device_id}/commands", command, Scope.CONTROL,
          "Set a feature or run an action", CommandBody, tag="devices"),
    Route("GET", "/api/devices/{device_id}/snapshot", snapshot, Scope.READ,
          "A camera's current picture", response="image/jpeg", tag="devices"),
    Route("GET", "/api/rooms", rooms, Scope.READ, "Rooms and their devices", tag="devices"),
]  # fmt: skip
