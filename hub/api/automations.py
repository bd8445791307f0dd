"""Scenes and automations over the API: the engine's own models are the bodies."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from hub.api.context import ApiContext, context
from hub.api.errors import error_response, parse_body
from hub.api.routes import Route, Scope
from hub.scenes.engine import AutomationEngine
from hub.scenes.model import Automation, Scene


class SnapshotBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    name: str = Field(min_length=1, max_length=80)
    devices: list[str] = Field(min_length=1, max_length=100)


class EnableBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool


def _engine(ctx: ApiContext) -> AutomationEngine:
    if ctx.engine is None:
        raise web.HTTPServiceUnavailable(text='{"error": {"code": "unavailable"}}',
                                         content_type="application/json")  # fmt: skip
    return ctx.engine


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def list_scenes(request: web.Request) -> web.Response:
    scenes = context(request).scenes.scenes.values()
    return web.json_response({"scenes": [_dump(s) for s in scenes]})


async def put_scene(request: web.Request) -> web.Response:
    scene = await parse_body(request, Scene)
    if scene.id != request.match_info["scene_id"]:
        return error_response(422, "invalid", "the body's id differs from the URL's", "id")
    await context(request).scenes.save(scene)
    return web.json_response(_dump(scene))


async def snapshot_scene(request: web.Request) -> web.Response:
    body = await parse_body(request, SnapshotBody)
    scene = await context(request).scenes.snapshot(body.id, body.name, body.devices)
    return web.json_response(_dump(scene), status=201)


async def delete_scene(request: web.Request) -> web.Response:
    await context(request).scenes.delete(request.match_info["scene_id"])
    return web.Response(status=204)


async def activate_scene(request: web.Request) -> web.Response:
    results = await context(request).scenes.activate(request.match_info["scene_id"])
    return web.json_response({"results": results})


async def list_automations(request: web.Request) -> web.Response:
    engine = _engine(context(request))
    items = []
    for automation in engine.automations.values():
        traces = engine.traces(automation.id)
        items.append({**_dump(automation), "last_trace": traces[0] if traces else None})
    return web.json_response({"automations": items})


async def put_automation(request: web.Request) -> web.Response:
    automation = await parse_body(request, Automation)
    if automation.id != request.match_info["automation_id"]:
        return error_response(422, "invalid", "the body's id differs from the URL's", "id")
    await _engine(context(request)).save(automation)
    return web.json_response(_dump(automation))


async def delete_automation(request: web.Request) -> web.Response:
    await _engine(context(request)).delete(request.match_info["automation_id"])
    return web.Response(status=204)


async def enable_automation(request: web.Request) -> web.Response:
    body = await parse_body(request, EnableBody)
    engine = _engine(context(request))
    automation = await engine.set_enabled(request.match_info["automation_id"], body.enabled)
    return web.json_response(_dump(automation))


async def run_automation(request: web.Request) -> web.Response:
    trace_id = _engine(context(request)).run_now(request.match_info["automation_id"])
    return web.json_response({"trace": trace_id}, status=202)


async def traces(request: web.Request) -> web.Response:
    found = _engine(context(request)).traces(request.match_info["automation_id"])
    return web.json_response({"traces": found})


async def webhook(request: web.Request) -> web.Response:
    data: dict[str, Any] = {}
    if request.can_read_body and request.content_type == "application/json":
        try:
            loaded = await request.json()
        except ValueError:
            return error_response(400, "bad_json", "the body is not JSON")
        if isinstance(loaded, dict):
            data = loaded
    count = _engine(context(request)).fire_webhook(request.match_info["webhook_id"], data)
    return web.json_response({"triggered": count})


ROUTES = [
    Route("GET", "/api/scenes", list_scenes, Scope.READ, "List scenes", tag="scenes"),
    Route("PUT", "/api/scenes/{scene_id}", put_scene, Scope.ADMIN, "Create or replace a scene",
          Scene, tag="scenes"),
    Route("POST", "/api/scenes/snapshot", snapshot_scene, Scope.ADMIN,
          "A scene from the devices' current state", SnapshotBody, tag="scenes"),
    Route("DELETE", "/api/scenes/{scene_id}", delete_scene, Scope.ADMIN, "Delete a scene",
          tag="scenes"),
    Route("POST", "/api/scenes/{scene_id}/activate", activate_scene, Scope.CONTROL,
          "Activate: one result per device", tag="scenes"),
    Route("GET", "/api/automations", list_automations, Scope.READ,
          "Automations with their last trace", tag="automations"),
    Route("PUT", "/api/automations/{automation_id}", put_automation, Scope.ADMIN,
          "Create or replace an automation", Automation, tag="automations"),
    Route("DELETE", "/api/automations/{automation_id}", delete_automation, Scope.ADMIN,
          "Delete an automation", tag="automations"),
    Route("POST", "/api/automations/{automation_id}/enabled", enable_automation, Scope.CONTROL,
          "Enable or disable", EnableBody, tag="automations"),
    Route("POST", "/api/automations/{automation_id}/run", run_automation, Scope.CONTROL,
          "Run the actions now", tag="automations"),
    Route("GET", "/api/automations/{automation_id}/traces", traces, Scope.READ,
          "The last traces, newest first", tag="automations"),
    Route("POST", "/api/webhooks/{webhook_id}", webhook, Scope.CONTROL,
          "Fire the automations listening on this webhook", tag="automations"),
]  # fmt: skip
