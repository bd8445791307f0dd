"""Automations over the API, through the engine's own calls: each is listed with its status
and last trace, can be enabled, disabled and run now, and keeps its traces."""

from __future__ import annotations

import re
from typing import Any

import yaml
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, RootModel

from hub.api.context import ApiContext, context
from hub.api.errors import ApiError, from_hub_error
from hub.api.jsonio import dump_model, json_response, read_json
from hub.api.routes import Param, Route, Scope
from hub.api.yaml_body import (
    YAML_TYPE,
    automation_yaml,
    read_yaml,
    sent_yaml,
    wants_yaml,
    yaml_error,
)
from hub.errors import HubError, NotFound
from hub.scenes.engine import AutomationEngine
from hub.scenes.model import Automation, InvalidDefinition, parse_automation, slug_id
from hub.scenes.references import automation_problems

WEBHOOK_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class AutomationBody(Automation):
    """An automation; without an id, one is made from its alias."""

    id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")  # type: ignore[assignment]


class TraceOut(BaseModel):
    """What one run saw and did (see hub/scenes/traces.py)."""

    model_config = ConfigDict(extra="allow")
    id: str
    automation: str
    trigger: dict[str, Any]
    started: float
    result: str
    conditions: list[Any] = []
    actions: list[Any] = []
    ms: float | None = None
    error: str | None = None


class AutomationOut(Automation):
    source: str = Field(description="config: from config.yaml, read-only here; api: editable")
    running: int
    last_trace: TraceOut | None


class AutomationList(BaseModel):
    automations: list[AutomationOut]


class TraceList(BaseModel):
    traces: list[TraceOut]


class RunStarted(BaseModel):
    trace: str = Field(description="the id of the run's trace")


class WebhookData(RootModel[dict[str, Any]]):
    """Any JSON object; the automations see it as the trigger's ``data``."""


class WebhookFired(BaseModel):
    triggered: int = Field(description="how many automations listen on this webhook")


def _engine(ctx: ApiContext) -> AutomationEngine:
    if ctx.engine is None:
        raise ApiError(503, "unavailable", "automations are not running on this hub")
    return ctx.engine


def _automation_id(engine: AutomationEngine, request: web.Request) -> str:
    try:
        return engine.get(request.match_info["automation_id"]).id
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc), "automation_id") from None


def _view(engine: AutomationEngine, automation: Automation) -> dict[str, Any]:
    status = engine.status(automation.id)
    traces = engine.traces(automation.id)
    return {**dump_model(automation), "source": status.source, "running": status.running,
            "last_trace": traces[0] if traces else None}  # fmt: skip


async def _object(request: web.Request) -> tuple[dict[str, Any], yaml.Node | None]:
    """The body as JSON, or as YAML (``application/yaml``; then its nodes, for lines)."""
    if sent_yaml(request):
        return await read_yaml(request)
    data = await read_json(request)
    if not isinstance(data, dict):
        raise ApiError(422, "validation_error", "the body is a JSON object", "body")
    return data, None


async def list_automations(request: web.Request) -> web.Response:
    engine = _engine(context(request))
    return json_response({"automations": [_view(engine, a) for a in engine.all()]})


async def get_automation(request: web.Request) -> web.Response:
    engine = _engine(context(request))
    automation = engine.get(_automation_id(engine, request))
    if wants_yaml(request):
        return web.Response(text=automation_yaml(automation), content_type=YAML_TYPE)
    return json_response(_view(engine, automation))


def _valid(ctx: ApiContext, data: dict[str, Any], node: yaml.Node | None) -> Automation:
    """The body as an automation, its devices, features and values checked against the
    registry as a scene's are (hub/scenes/references.py): any problem is a 422. A YAML body
    hears of every problem, each with its line."""
    try:
        automation = parse_automation(data)
    except InvalidDefinition as exc:
        if node is not None:
            raise yaml_error(node, [(p["field"], p["message"]) for p in exc.problems]) from None
        raise from_hub_error(exc) from None
    except HubError as exc:
        raise from_hub_error(exc) from None
    problems = automation_problems(automation, ctx.registry)
    if problems and node is not None:
        raise yaml_error(node, [(p.field, p.message) for p in problems])
    for problem in problems:
        raise ApiError(422, "invalid_value", problem.message, problem.field)
    return automation


async def create_checked(
    ctx: ApiContext, data: dict[str, Any], node: yaml.Node | None = None
) -> dict[str, Any]:
    """Create an automation from a body as ``POST /api/automations`` does (id from the alias
    when none, checked against the devices); returns its view as that answers it."""
    engine = _engine(ctx)
    if not data.get("id"):
        data["id"] = slug_id(str(data.get("alias") or ""), "automation")
    return _view(engine, await engine.create(_valid(ctx, data, node)))


async def create_automation(request: web.Request) -> web.Response:
    ctx = context(request)
    _engine(ctx)
    data, node = await _object(request)
    return json_response(await create_checked(ctx, data, node), status=201)


async def put_automation(request: web.Request) -> web.Response:
    ctx = context(request)
    engine = _engine(ctx)
    automation_id = _automation_id(engine, request)
    data, node = await _object(request)
    if data.get("id", automation_id) != automation_id:
        problem = "the body's id differs from the URL's"
        if node is not None:
            raise yaml_error(node, [("id", problem)])
        raise ApiError(422, "invalid_value", problem, "id")
    automation = await engine.update(
        automation_id, _valid(ctx, {**data, "id": automation_id}, node)
    )
    return json_response(_view(engine, automation))


async def delete_automation(request: web.Request) -> web.Response:
    engine = _engine(context(request))
    await engine.delete(_automation_id(engine, request))
    return web.Response(status=204)


async def _set_enabled(request: web.Request, enabled: bool) -> web.Response:
    engine = _engine(context(request))
    automation = await engine.set_enabled(_automation_id(engine, request), enabled)
    return json_response(_view(engine, automation))


async def enable_automation(request: web.Request) -> web.Response:
    return await _set_enabled(request, True)


async def disable_automation(request: web.Request) -> web.Response:
    return await _set_enabled(request, False)


async def run_automation(request: web.Request) -> web.Response:
    engine = _engine(context(request))
    trace_id = engine.run_now(_automation_id(engine, request))
    return json_response({"trace": trace_id}, status=202)


async def traces(request: web.Request) -> web.Response:
    engine = _engine(context(request))
    return json_response({"traces": engine.traces(_automation_id(engine, request))})


MAX_WAIT = 30.0


async def get_trace(request: web.Request) -> web.Response:
    engine = _engine(context(request))
    automation_id = _automation_id(engine, request)
    raw = request.query.get("wait", "0")
    try:
        wait = float(raw)
    except ValueError:
        wait = -1.0
    if not 0 <= wait <= MAX_WAIT:
        raise ApiError(422, "invalid_value", f"wait is 0 to {MAX_WAIT:g} seconds", "wait")
    try:
        trace = await engine.trace(automation_id, request.match_info["trace_id"], wait)
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc), "trace_id") from None
    return json_response(trace)


async def webhook(request: web.Request) -> web.Response:
    engine = _engine(context(request))
    webhook_id = request.match_info["webhook_id"]
    if not WEBHOOK_ID.match(webhook_id):
        raise ApiError(404, "not_found", "webhook ids are 1-64 letters, digits, - and _",
                       "webhook_id")  # fmt: skip
    data = (await _object(request))[0] if request.body_exists else {}
    return json_response({"triggered": engine.fire_webhook(webhook_id, data)})


_T = "automations"
_RO = "Automations from config.yaml are read-only here (422); enabling works for all."
_YAML = (
    "The body may be YAML (Content-Type: application/yaml), as config.yaml writes an "
    "automation; its errors then name the line and the key of every problem."
)
AS_YAML = {
    "type": "object",
    "required": ["id", "trigger", "action"],
    "description": "the definition alone, as config.yaml writes it",
}
FORMAT = Param(
    "format",
    "query",
    {"type": "string", "enum": ["json", "yaml"]},
    "yaml: the definition alone, as YAML text (application/yaml)",
)
ROUTES = [
    Route("GET", "/api/automations", list_automations, Scope.READ,
          "Automations with their status and last trace", response=AutomationList,
          errors=(503,), tag=_T),
    Route("POST", "/api/automations", create_automation, Scope.ADMIN, "Create an automation",
          AutomationBody, AutomationOut, status=201, errors=(409, 503), tag=_T,
          description="Devices, features and values are checked against the hub's devices "
                      "(422). Without an id, the id is made from the alias; when that id "
                      "exists, 409 names it (posting twice never makes a copy). " + _YAML),
    Route("GET", "/api/automations/{automation_id}", get_automation, Scope.READ,
          "One automation with its status and last trace", response=AutomationOut,
          errors=(422, 503), tag=_T, params=(FORMAT,), alternates=(YAML_TYPE,),
          extra={"alternate_schemas": {YAML_TYPE: AS_YAML}}),
    Route("PUT", "/api/automations/{automation_id}", put_automation, Scope.ADMIN,
          "Replace an automation's definition", AutomationBody, AutomationOut, errors=(503,),
          tag=_T, description=f"{_RO} {_YAML}"),
    Route("DELETE", "/api/automations/{automation_id}", delete_automation, Scope.ADMIN,
          "Delete an automation", status=204, errors=(422, 503), tag=_T, description=_RO),
    Route("POST", "/api/automations/{automation_id}/enable", enable_automation, Scope.CONTROL,
          "Enable an automation", response=AutomationOut, errors=(503,), tag=_T),
    Route("POST", "/api/automations/{automation_id}/disable", disable_automation,
          Scope.CONTROL, "Disable an automation", response=AutomationOut, errors=(503,),
          tag=_T),
    Route("POST", "/api/automations/{automation_id}/run", run_automation, Scope.CONTROL,
          "Run an automation's actions now (no trigger, no conditions)",
          response=RunStarted, status=202, errors=(503,), tag=_T),
    Route("GET", "/api/automations/{automation_id}/traces", traces, Scope.READ,
          "The automation's last traces, newest first", response=TraceList, errors=(503,),
          tag=_T),
    Route("GET", "/api/automations/{automation_id}/traces/{trace_id}", get_trace, Scope.READ,
          "One trace; with ?wait=seconds (at most 30), once its run has finished",
          response=TraceOut, errors=(503,), tag=_T,
          description="A run still going after the wait answers with its trace as it is "
                      "then (result running or queued)."),
    Route("POST", "/api/webhooks/{webhook_id}", webhook, Scope.CONTROL,
          "Fire the automations listening on this webhook", WebhookData, WebhookFired,
          errors=(503,), tag=_T, body_required=False),
]  # fmt: skip
