"""Scenes over the API, through the scene manager's own calls; the targets are also checked
against the devices the hub knows, so a typo or an out-of-range value is a 422 at once rather
than a failed evening."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from hub.api.context import ApiContext, context
from hub.api.errors import ApiError, from_hub_error
from hub.api.jsonio import dump_model, json_response, read_json, validate
from hub.api.routes import Route, Scope
from hub.errors import HubError, InvalidValue, NotFound
from hub.scenes.model import Scene, SceneSnapshot, SceneTarget, parse_scene
from hub.scenes.references import scene_problems
from hub.scenes.scenes import SceneResult

SCENE_ID = r"^[A-Za-z0-9_.-]{1,64}$"


class SceneBody(BaseModel):
    """A scene: target values across devices. Without an id, one is made from the name."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(None, pattern=SCENE_ID)
    name: str = Field(min_length=1)
    targets: list[SceneTarget] = Field(min_length=1)


class SceneList(BaseModel):
    scenes: list[Scene]


async def _object(request: web.Request) -> dict[str, Any]:
    data = await read_json(request)
    if not isinstance(data, dict):
        raise ApiError(422, "validation_error", "the body is a JSON object", "body")
    return data


def _check(ctx: ApiContext, data: dict[str, Any], scene_id: str | None) -> None:
    """Validate like the scene manager, then each target against its device's feature."""
    try:
        scene = parse_scene({**data, "id": scene_id or data.get("id") or "new"})
    except HubError as exc:
        raise from_hub_error(exc) from None
    for problem in scene_problems(scene, ctx.registry):
        raise ApiError(422, "invalid_value", problem.message, problem.field)


def _scene_id(ctx: ApiContext, request: web.Request) -> str:
    scene_id = request.match_info["scene_id"]
    try:
        return ctx.scenes.get(scene_id).id
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc), "scene_id") from None


async def list_scenes(request: web.Request) -> web.Response:
    return json_response({"scenes": [dump_model(s) for s in context(request).scenes.all()]})


async def get_scene(request: web.Request) -> web.Response:
    ctx = context(request)
    return json_response(dump_model(ctx.scenes.get(_scene_id(ctx, request))))


async def create_scene(request: web.Request) -> web.Response:
    ctx = context(request)
    data = await _object(request)
    _check(ctx, data, None)
    scene = await ctx.scenes.create(data)
    return json_response(dump_model(scene), status=201)


async def put_scene(request: web.Request) -> web.Response:
    ctx = context(request)
    scene_id = _scene_id(ctx, request)
    data = await _object(request)
    if data.get("id", scene_id) != scene_id:
        raise ApiError(422, "invalid_value", "the body's id differs from the URL's", "id")
    _check(ctx, data, scene_id)
    scene = await ctx.scenes.update(scene_id, {k: v for k, v in data.items() if k != "id"})
    return json_response(dump_model(scene))


async def snapshot_scene(request: web.Request) -> web.Response:
    ctx = context(request)
    data = await _object(request)
    body = validate(SceneSnapshot, data)
    for number, device_id in enumerate(body.devices):
        if device_id not in ctx.registry.devices:
            raise ApiError(422, "invalid_value", f"no device '{device_id}'", f"devices.{number}")
    try:
        scene = await ctx.scenes.snapshot(body)
    except InvalidValue as exc:
        raise ApiError(422, "invalid_value", str(exc), "devices") from None
    return json_response(dump_model(scene), status=201)


async def delete_scene(request: web.Request) -> web.Response:
    ctx = context(request)
    await ctx.scenes.delete(_scene_id(ctx, request))
    return web.Response(status=204)


async def activate_scene(request: web.Request) -> web.Response:
    ctx = context(request)
    result = await ctx.scenes.activate(_scene_id(ctx, request))
    return json_response(result.model_dump(mode="json"))


_ID = (404,)
ROUTES = [
    Route("GET", "/api/scenes", list_scenes, Scope.READ, "List scenes", response=SceneList,
          tag="scenes"),
    Route("POST", "/api/scenes", create_scene, Scope.ADMIN, "Create a scene", SceneBody, Scene,
          status=201, errors=(409,), tag="scenes"),
    Route("POST", "/api/scene-snapshots", snapshot_scene, Scope.ADMIN,
          "Create a scene from the devices' current values", SceneSnapshot, Scene, status=201,
          errors=(409,), tag="scenes"),
    Route("GET", "/api/scenes/{scene_id}", get_scene, Scope.READ, "One scene", response=Scene,
          tag="scenes"),
    Route("PUT", "/api/scenes/{scene_id}", put_scene, Scope.ADMIN,
          "Replace a scene's name and targets", SceneBody, Scene, tag="scenes",
          description="Scenes from config.yaml are read-only here (422)."),
    Route("DELETE", "/api/scenes/{scene_id}", delete_scene, Scope.ADMIN, "Delete a scene",
          status=204, errors=(422,), tag="scenes"),
    Route("POST", "/api/scenes/{scene_id}/activate", activate_scene, Scope.CONTROL,
          "Activate a scene: devices in parallel, one result per device",
          response=SceneResult, tag="scenes"),
]  # fmt: skip
