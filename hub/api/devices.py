"""Devices: list, get, rename / move, remove, commands (idempotent on request), camera
snapshots, rooms."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hub.api import models
from hub.api.context import CALLER, ApiContext, api_state, context
from hub.api.errors import ApiError, from_hub_error
from hub.api.jsonio import dumps, json_response, parse_body, read_json, validate
from hub.api.routes import Param, Route, Scope
from hub.bus import Origin
from hub.devices.model import CommandStatus, Device, FeatureKind
from hub.errors import HubError, NotFound

Scalar = bool | int | float | str
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Room = Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)]
KINDS = [str(kind) for kind in FeatureKind]
PLAIN_JSON = {"Content-Type": "application/json"}
GZIPPED_JSON = {**PLAIN_JSON, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}


class DevicePatch(BaseModel):
    """Rename a device or move it to a room (an empty string or null: no room)."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    room: Room | None = None


class SetCommand(BaseModel):
    """Set one feature of the device to a value within its kind, range or choices."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"feature": "power", "value": True},
                                        {"feature": "brightness", "value": 40},
                                        {"feature": "mode", "value": "sleep"}]},
    )  # fmt: skip
    feature: str = Field(min_length=1, max_length=80, description="a feature id of the device")
    value: Scalar = Field(description="within the feature's kind, range, step or choices")


class ActionCommand(BaseModel):
    """Run one of the device's actions."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"action": "toggle"},
                                        {"action": "toggle", "args": {}}]},
    )  # fmt: skip
    action: str = Field(min_length=1, max_length=80, description="an action feature's id")
    args: dict[str, Scalar] = Field(
        default_factory=dict, max_length=32, description="the action's arguments, if it takes any"
    )


async def list_devices(request: web.Request) -> web.Response:
    registry = context(request).registry
    query = request.query
    room = query.get("room")
    kind = query.get("kind")
    cache = api_state(request).devices
    if room is None and kind is None:
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            return web.Response(body=cache.listing_gzipped(), headers=GZIPPED_JSON)
        return web.Response(body=cache.listing(), headers=PLAIN_JSON)
    devices: Iterable[Device] = registry.devices.values()
    if room is not None:
        devices = [d for d in devices if d.room == room]
    if kind is not None:
        if kind not in KINDS:
            raise ApiError(422, "invalid_value", f"kind is one of: {', '.join(KINDS)}", "kind")
        wanted = FeatureKind(kind)
        devices = [d for d in devices if any(f.kind is wanted for f in d.features.values())]
    return web.Response(body=cache.listing(devices), headers=PLAIN_JSON)


def _device(ctx: ApiContext, request: web.Request) -> Device:
    try:
        return ctx.registry.get(request.match_info["device_id"])
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc), "device_id") from None


async def get_device(request: web.Request) -> web.Response:
    device = _device(context(request), request)
    return web.Response(body=api_state(request).devices.device(device), headers=PLAIN_JSON)


async def patch_device(request: web.Request) -> web.Response:
    ctx = context(request)
    device = _device(ctx, request)
    body = await parse_body(request, DevicePatch)
    room = body.room
    if "room" in body.model_fields_set and room is None:
        room = ""  # null: out of any room
    await ctx.registry.rename(device.id, body.name, room)
    return web.Response(body=api_state(request).devices.device(device), headers=PLAIN_JSON)


async def delete_device(request: web.Request) -> web.Response:
    ctx = context(request)
    device = _device(ctx, request)
    await ctx.registry.delete(device.id)
    return web.Response(status=204)


async def command(request: web.Request) -> web.Response:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        status, body = await _command_answer(request)
        return web.Response(status=status, body=body, content_type="application/json")
    if not 1 <= len(key) <= 255 or not key.isascii() or not key.isprintable():
        raise ApiError(422, "invalid_value", "an Idempotency-Key is 1 to 255 printable ASCII "
                       "characters", "Idempotency-Key")  # fmt: skip
    raw = await request.read()
    fingerprint = hashlib.sha256(request.match_info["device_id"].encode() + b"\0" + raw).digest()
    caller = request[CALLER]
    status, body, replay = await api_state(request).idempotency.run(
        (caller.token_id, key), fingerprint, lambda: _command_answer(request)
    )
    headers = {"Idempotent-Replay": "true"} if replay else None
    return web.Response(status=status, body=body, content_type="application/json",
                        headers=headers)  # fmt: skip


async def _command_answer(request: web.Request) -> tuple[int, bytes]:
    """The answer as status and body, errors included, so a retry can be given the same."""
    try:
        answer = await _run_command(context(request), request)
    except ApiError as exc:
        return exc.status, exc.body()
    except HubError as exc:
        error = from_hub_error(exc)
        return error.status, error.body()
    return 200, dumps(answer)


async def _run_command(ctx: ApiContext, request: web.Request) -> dict[str, Any]:
    device = _device(ctx, request)
    data = await read_json(request)
    if isinstance(data, dict) and "action" in data:
        action = validate(ActionCommand, data)
        feature = device.features.get(action.action)
        if feature is None or feature.kind is not FeatureKind.ACTION:
            raise ApiError(422, "invalid_value", f"'{device.id}' has no action '{action.action}'; "
                           f"its actions: {_names(device, True)}", "action")  # fmt: skip
        registry = ctx.registry
        output = await registry.call_action(device.id, action.action, action.args, Origin.API)
        return {"device": device.id, "action": action.action, "status": "acknowledged",
                "output": output}  # fmt: skip
    setting = validate(SetCommand, data)
    if setting.feature not in device.features:
        raise ApiError(422, "invalid_value", f"'{device.id}' has no feature '{setting.feature}'; "
                       f"it has: {_names(device, False)}", "feature")  # fmt: skip
    try:
        result = await ctx.registry.command(device.id, setting.feature, setting.value, Origin.API)
    except HubError as exc:
        raise from_hub_error(exc, "value") from None
    if result.status is CommandStatus.FAILED:
        if result.cause is not None:  # offline 503, token 502, timeout 504, refused 502
            raise from_hub_error(result.cause)
        raise ApiError(502, "device_error", result.error or "the device did not accept it")
    return {"device": device.id, "feature": setting.feature, "value": result.value,
            "status": str(result.status)}  # fmt: skip


def _names(device: Device, actions: bool) -> str:
    ids = [f.id for f in device.features.values() if (f.kind is FeatureKind.ACTION) == actions]
    return ", ".join(sorted(ids)) or "none"


async def snapshot(request: web.Request) -> web.Response:
    ctx = context(request)
    device = _device(ctx, request)
    if not any(f.kind is FeatureKind.IMAGE for f in device.features.values()):
        raise ApiError(404, "no_camera", f"'{device.id}' has no camera", "device_id")
    if ctx.snapshot is None:
        raise ApiError(503, "unavailable", "this hub does not fetch camera pictures")
    image = await ctx.snapshot(device.id)
    return web.Response(body=image, content_type="image/jpeg",
                        headers={"Cache-Control": "no-store"})  # fmt: skip


async def rooms(request: web.Request) -> web.Response:
    ctx = context(request)
    devices = ctx.registry.devices.values()
    members: dict[str, list[str]] = {name: [] for name in ctx.rooms}
    unassigned = []
    for device in devices:
        if device.room:
            members.setdefault(device.room, []).append(device.id)
        else:
            unassigned.append(device.id)
    listed = [{"name": name, "devices": ids} for name, ids in members.items()]
    return json_response({"rooms": listed, "unassigned": unassigned})


_ID = (404,)
ROOM = Param("room", "query", {"type": "string"}, "only the devices in this room")
KIND = Param("kind", "query", {"type": "string", "enum": KINDS},
             "only the devices with a feature of this kind")  # fmt: skip
IDEMPOTENCY = Param("Idempotency-Key", "header",
                    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
                    "a retry with the same key gets the first answer; the command is not sent "
                    "again (keys are kept 10 minutes)")  # fmt: skip

ROUTES = [
    Route("GET", "/api/devices", list_devices, Scope.READ, "List devices (filter by room, kind)",
          response=models.DeviceList, params=(ROOM, KIND), errors=(422,), tag="devices"),
    Route("GET", "/api/devices/{device_id}", get_device, Scope.READ, "One device",
          response=models.DeviceOut, errors=_ID, tag="devices"),
    Route("PATCH", "/api/devices/{device_id}", patch_device, Scope.ADMIN,
          "Rename a device or move it to a room", DevicePatch, models.DeviceOut, errors=_ID,
          tag="devices"),
    Route("DELETE", "/api/devices/{device_id}", delete_device, Scope.ADMIN,
          "Remove a device with its state and token", status=204, errors=_ID, tag="devices",
          description="For a device that is gone for good (replaced, sold). One that is still "
          "out there comes back when its protocol finds it again: a miIO device listed in "
          "config.yaml at the next start, a Zigbee device when the bridge lists it again."),
    Route("POST", "/api/devices/{device_id}/commands", command, Scope.CONTROL,
          "Set a feature or run an action", (SetCommand, ActionCommand), models.CommandOut,
          errors=(*_ID, 502, 503, 504), params=(IDEMPOTENCY,), tag="devices",
          description="The answer says whether the device acknowledged the command or "
          "confirmed it with its own state report; 502, 503 or 504 say why not. A device the "
          "hub knows to be offline (503) or rejecting its token (502) is sent nothing: the "
          "answer comes at once and says since when."),
    Route("GET", "/api/devices/{device_id}/snapshot", snapshot, Scope.READ,
          "A camera's current picture", content_type="image/jpeg",
          errors=(*_ID, 502, 503, 504), tag="devices"),
    Route("GET", "/api/rooms", rooms, Scope.READ, "Rooms and their devices",
          response=models.RoomList, tag="devices"),
]  # fmt: skip
