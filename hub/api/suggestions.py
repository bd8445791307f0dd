"""Habit suggestions over the API: what the hub noticed, with its evidence and a ready
automation; accepting one creates that automation (as edited) through the same checks as
``POST /api/automations``, dismissing one means it is never offered again, and "not now"
snoozes it."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from hub.api.automations import AutomationBody, AutomationOut, create_checked
from hub.api.context import ApiContext, context
from hub.api.errors import ApiError
from hub.api.jsonio import json_response, read_json, validate
from hub.api.routes import Route, Scope
from hub.errors import NotFound
from hub.habits.model import Suggestion
from hub.habits.service import HabitService

SOURCE = "Suggested by mihub"
"""How an accepted suggestion's automation says where it came from: its description starts a
line with this (the miner's bodies have it already; an edit that drops it gets it back)."""


class SuggestionOut(BaseModel):
    id: str
    kind: str = Field(description="time, sequence or condition")
    title: str
    evidence: str = Field(description='why, e.g. "18 of the last 21 weekdays, 07:02-07:14"')
    confidence: float = Field(ge=0, le=1)
    automation: dict[str, Any] = Field(
        description="a ready automation body, as POST /api/automations takes it"
    )


class SuggestionList(BaseModel):
    suggestions: list[SuggestionOut]
    mined_at: float | None = Field(description="when history was last mined (None: not yet)")
    enabled: bool = Field(description="false: this hub has history or habits off")


class AcceptBody(BaseModel):
    automation: AutomationBody | None = Field(
        None, description="the automation as edited; without it, the suggestion's own"
    )


class SnoozeBody(BaseModel):
    days: float | None = Field(None, gt=0, le=365, description="default: habits.snooze_days")


class Decision(BaseModel):
    id: str
    decision: str = Field(description="dismissed or snoozed")
    until: float | None = Field(None, description="when a snoozed suggestion comes back")


def _habits(ctx: ApiContext) -> HabitService:
    if ctx.habits is None:
        raise ApiError(503, "unavailable", "habit suggestions are off on this hub")
    return ctx.habits


def _suggestion(habits: HabitService, request: web.Request) -> Suggestion:
    try:
        return habits.get(request.match_info["suggestion_id"])
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc), "suggestion_id") from None


def _view(suggestion: Suggestion) -> dict[str, Any]:
    return {"id": suggestion.id, "kind": suggestion.kind, "title": suggestion.title,
            "evidence": suggestion.evidence, "confidence": suggestion.confidence,
            "automation": suggestion.automation}  # fmt: skip


async def _body(request: web.Request) -> Any:
    return await read_json(request) if request.body_exists else {}


async def list_suggestions(request: web.Request) -> web.Response:
    habits = context(request).habits
    if habits is None:  # a hub without history or habits: nothing to suggest, not an error
        return json_response({"suggestions": [], "mined_at": None, "enabled": False})
    return json_response({"suggestions": [_view(s) for s in habits.offered()],
                          "mined_at": habits.mined_at, "enabled": True})  # fmt: skip


def with_source(automation: dict[str, Any], suggestion: Suggestion) -> dict[str, Any]:
    """The automation, its description saying it came from this suggestion."""
    said = str(automation.get("description") or "").strip()
    if SOURCE not in said:
        origin = f"{SOURCE} from the household's habits: {suggestion.evidence}."
        said = f"{said}\n{origin}" if said else origin
    return {**automation, "description": said}


async def accept_suggestion(request: web.Request) -> web.Response:
    ctx = context(request)
    habits = _habits(ctx)
    suggestion = _suggestion(habits, request)
    data = await _body(request)
    body = validate(AcceptBody, data)  # its shape; the automation itself is checked below
    edited = data["automation"] if body.automation is not None else suggestion.automation
    try:
        created = await create_checked(ctx, with_source(dict(edited), suggestion))
    except ApiError as exc:
        if exc.field and exc.field != "body":  # the edited automation's field
            exc.field = f"automation.{exc.field}"
        raise
    await habits.accepted(suggestion, created["id"])
    return json_response(created, status=201)


async def dismiss_suggestion(request: web.Request) -> web.Response:
    habits = _habits(context(request))
    suggestion = _suggestion(habits, request)
    await habits.dismiss(suggestion.id)
    return json_response({"id": suggestion.id, "decision": "dismissed"})


async def snooze_suggestion(request: web.Request) -> web.Response:
    habits = _habits(context(request))
    suggestion = _suggestion(habits, request)
    body = validate(SnoozeBody, await _body(request))
    until = await habits.snooze(suggestion.id, body.days)
    return json_response({"id": suggestion.id, "decision": "snoozed", "until": until})


_T = "suggestions"
ROUTES = [
    Route("GET", "/api/suggestions", list_suggestions, Scope.READ,
          "Automations the hub suggests from the household's habits, with their evidence",
          response=SuggestionList, tag=_T,
          description="Mined from history on the hub (nothing leaves it), in the background "
                      "every habits.every_hours; dismissed, accepted and snoozed ones are left "
                      "out."),
    Route("POST", "/api/suggestions/{suggestion_id}/accept", accept_suggestion, Scope.ADMIN,
          "Create the suggested automation, as it is or as edited", AcceptBody, AutomationOut,
          status=201, errors=(409, 503), tag=_T, body_required=False,
          description="The automation is checked as POST /api/automations checks it (422 "
                      "names the field under automation.); its description says it was "
                      "suggested. The suggestion is not offered again."),
    Route("POST", "/api/suggestions/{suggestion_id}/dismiss", dismiss_suggestion, Scope.ADMIN,
          "Never offer this suggestion again", response=Decision, errors=(503,), tag=_T),
    Route("POST", "/api/suggestions/{suggestion_id}/snooze", snooze_suggestion, Scope.CONTROL,
          "Not now: offer this suggestion again after some days", SnoozeBody, Decision,
          errors=(503,), tag=_T, body_required=False),
]  # fmt: skip
