"""Suggestions over the API: listed with evidence and a ready automation; accepting one (as it
is or edited) creates the automation through POST /api/automations' checks and says where it
came from; dismissed ones never come back, snoozed ones come back when their time is up; the
decisions outlive a restart of the hub's store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.api.suggestions import SOURCE
from hub.habits.model import Suggestion
from hub.habits.service import HabitService
from hub.store import Store
from tests.api.rig import Api, api_rig

NOW = 1_790_000_000.0


def lamp_at(at: str) -> dict[str, Any]:
    return {"alias": "Lamp on in the morning",
            "trigger": [{"platform": "time", "at": at}],
            "condition": [{"condition": "time", "weekdays": ["mon", "tue", "wed", "thu", "fri"]}],
            "action": [{"action": "set", "device": "lamp", "feature": "power",
                        "value": True}]}  # fmt: skip


MORNING = Suggestion(
    "time-lamp-power-on", "time", "Turn on Lamp around 07:05 on weekdays",
    "18 of the last 21 weekdays, between 07:02 and 07:14", 0.86, lamp_at("07:05:00"),
)  # fmt: skip
EVENING = Suggestion(
    "sequence-button-lamp", "sequence", "After Button is pressed, set Lamp's mode to night",
    "9 of 10 times within 2 minutes", 0.9,
    {"alias": "Button, then lamp to night",
     "trigger": [{"platform": "event", "device": "button", "event": "action"}],
     "action": [{"action": "set", "device": "lamp", "feature": "mode", "value": "night"}]},
)  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def service(api: Api, store: Store, clock: Clock) -> HabitService:
    engine = api.ctx.engine
    assert engine is not None
    assert api.ctx.history is not None
    return HabitService(
        api.ctx.history, api.registry, store,
        lambda: [a.model_dump(mode="json") for a in engine.all()],
        tz=ZoneInfo("UTC"), clock=clock,
    )  # fmt: skip


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with api_rig(tmp_path) as rig:
        habits = rig.ctx.habits
        assert habits is not None
        habits.clock = Clock()
        habits.suggestions = [MORNING, EVENING]  # as a mining found them
        yield rig


async def listed(api: Api) -> list[str]:
    answer = await api.client.get("/api/suggestions", headers=api.auth())
    assert answer.status == 200
    return [s["id"] for s in (await answer.json())["suggestions"]]


async def post(api: Api, path: str, body: Any = None) -> tuple[int, Any]:
    answer = await api.client.post(path, headers=api.auth(), json=body)
    return answer.status, await answer.json()


async def test_the_list_has_evidence_confidence_and_a_ready_automation(api: Api) -> None:
    answer = await api.client.get("/api/suggestions", headers=api.auth())
    body = await answer.json()
    first = body["suggestions"][0]
    assert first == {"id": MORNING.id, "kind": "time", "title": MORNING.title,
                     "evidence": MORNING.evidence, "confidence": 0.86,
                     "automation": MORNING.automation}  # fmt: skip
    assert body["mined_at"] is None  # set here by hand; no mining has run
    assert body["enabled"] is True


async def test_accept_as_is_creates_the_automation_that_says_where_it_came_from(api: Api) -> None:
    status, created = await post(api, f"/api/suggestions/{MORNING.id}/accept")
    assert status == 201, created
    assert created["alias"] == "Lamp on in the morning"
    assert created["description"] == f"{SOURCE} from the household's habits: {MORNING.evidence}."
    assert created["trigger"] == [{"platform": "time", "at": "07:05:00"}]
    assert api.ctx.engine is not None
    assert created["id"] in api.ctx.engine.automations
    assert await listed(api) == [EVENING.id]  # an accepted suggestion is not offered again
    status, again = await post(api, f"/api/suggestions/{MORNING.id}/accept")
    assert (status, again["error"]["field"]) == (404, "suggestion_id")


async def test_accept_takes_the_edited_name_and_time(api: Api) -> None:
    edited = lamp_at("06:45:00") | {"alias": "Wake-up lamp", "id": "wake-up"}
    status, created = await post(
        api, f"/api/suggestions/{MORNING.id}/accept", {"automation": edited}
    )
    assert status == 201, created
    assert (created["id"], created["alias"]) == ("wake-up", "Wake-up lamp")
    assert created["trigger"][0]["at"] == "06:45:00"
    assert created["description"].startswith(SOURCE)
    kept = {"description": f"{SOURCE} from the household's habits: seen 5 times.", "id": "kept"}
    status, created = await post(
        api, f"/api/suggestions/{EVENING.id}/accept", {"automation": EVENING.automation | kept}
    )
    assert status == 201, created
    assert created["description"] == kept["description"]  # said once, not twice
    listing = await api.client.get("/api/automations/wake-up", headers=api.auth())
    assert (await listing.json())["source"] == "api"


async def test_an_edit_gone_wrong_is_a_422_naming_the_field_and_nothing_is_created(
    api: Api,
) -> None:
    wrong = lamp_at("07:05:00") | {
        "action": [{"action": "set", "device": "lamp", "feature": "mode", "value": "disco"}]
    }
    status, body = await post(api, f"/api/suggestions/{MORNING.id}/accept", {"automation": wrong})
    assert status == 422, body
    assert body["error"]["field"] == "automation.action.0.value"
    assert "disco" in body["error"]["message"]
    unknown = lamp_at("07:05:00") | {"trigger": [{"platform": "time", "at": "25:99"}]}
    status, body = await post(api, f"/api/suggestions/{MORNING.id}/accept", {"automation": unknown})
    assert status == 422, body
    assert body["error"]["field"].startswith("automation.trigger.0")
    assert api.ctx.engine is not None
    assert api.ctx.engine.automations == {}
    assert MORNING.id in await listed(api)  # still offered: nothing was accepted


async def test_dismissed_never_comes_back_and_snoozed_comes_back_later(
    api: Api, tmp_path: Path
) -> None:
    status, body = await post(api, f"/api/suggestions/{MORNING.id}/dismiss")
    assert (status, body) == (200, {"id": MORNING.id, "decision": "dismissed"})
    status, body = await post(api, f"/api/suggestions/{EVENING.id}/snooze", {"days": 2})
    assert status == 200
    assert body["until"] == NOW + 2 * 86400
    assert await listed(api) == []

    # The decisions are committed: a hub started again on the same store still knows them.
    await api.store.close()
    async with Store(tmp_path / "hub.db") as store:
        clock = Clock()
        later = service(api, store, clock)
        await later.start()
        try:
            later.suggestions = [MORNING, EVENING]  # a new mining finds both again
            assert later.offered() == []
            clock.now = NOW + 2 * 86400 + 1
            assert later.offered() == [EVENING]  # the snooze is over; the dismissal is not
        finally:
            await later.stop()
    await api.store.open()


async def test_an_unknown_suggestion_is_a_404_and_bad_bodies_say_what_is_wrong(
    api: Api,
) -> None:
    status, body = await post(api, "/api/suggestions/nope/dismiss")
    assert (status, body["error"]["field"]) == (404, "suggestion_id")
    status, body = await post(api, f"/api/suggestions/{EVENING.id}/snooze", {"days": 0})
    assert (status, body["error"]["field"]) == (422, "days")
    status, body = await post(api, f"/api/suggestions/{MORNING.id}/accept", {"automation": 3})
    assert (status, body["error"]["field"]) == (422, "automation")


async def test_scopes_are_those_of_automations(api: Api) -> None:
    reader = await api.ctx.auth.issue("reader", ["read"])
    control = await api.ctx.auth.issue("controller", ["control"])
    as_reader, as_control = api.auth(reader), api.auth(control)
    assert (await api.client.get("/api/suggestions", headers=as_reader)).status == 200
    path = f"/api/suggestions/{MORNING.id}"
    assert (await api.client.post(f"{path}/accept", headers=as_control)).status == 403
    assert (await api.client.post(f"{path}/dismiss", headers=as_control)).status == 403
    assert (await api.client.post(f"{path}/snooze", headers=as_reader)).status == 403
    assert (await api.client.post(f"{path}/snooze", headers=as_control)).status == 200


async def test_without_the_service_there_is_nothing_to_suggest_or_decide(api: Api) -> None:
    habits, api.ctx.habits = api.ctx.habits, None
    try:
        answer = await api.client.get("/api/suggestions", headers=api.auth())
        assert await answer.json() == {"suggestions": [], "mined_at": None, "enabled": False}
        status, body = await post(api, f"/api/suggestions/{MORNING.id}/dismiss")
        assert status == 503
        assert "off" in body["error"]["message"]
    finally:
        api.ctx.habits = habits  # the rig stops it


async def test_the_openapi_document_describes_the_suggestions(api: Api) -> None:
    document = await (await api.client.get("/api/openapi.json")).json()
    paths = document["paths"]
    assert "get" in paths["/api/suggestions"]
    for verb in ("accept", "dismiss", "snooze"):
        assert "post" in paths[f"/api/suggestions/{{suggestion_id}}/{verb}"]
