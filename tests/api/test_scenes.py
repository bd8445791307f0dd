"""Scenes and automations over the API: create, list, update, delete, activate, enable, run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api.rig import Api, api_rig
from tests.waiting import until

EVENING = {"id": "evening", "name": "Evening", "targets": [
    {"device": "lamp", "feature": "power", "value": True},
    {"device": "lamp", "feature": "brightness", "value": 20}]}  # fmt: skip
HELLO: dict[str, Any] = {
    "id": "hello",
    "alias": "Hello",
    "trigger": [{"platform": "webhook", "webhook_id": "hi"}],
    "action": [{"action": "set", "device": "lamp", "feature": "power", "value": True}],
}


async def test_scenes_create_get_update_activate_delete(api: Api) -> None:
    created = await api.client.post("/api/scenes", headers=api.auth(), json=EVENING)
    assert created.status == 201
    assert (await api.client.post("/api/scenes", headers=api.auth(), json=EVENING)).status == 409
    unnamed = await api.client.post("/api/scenes", headers=api.auth(),
                                    json={**EVENING, "id": None, "name": "Movie night"})  # fmt: skip
    assert (await unnamed.json())["id"] == "movie-night"
    one = await (await api.client.get("/api/scenes/evening", headers=api.auth())).json()
    assert one == EVENING
    changed = {"name": "Late evening", "targets": EVENING["targets"][:1]}
    updated = await api.client.put("/api/scenes/evening", headers=api.auth(), json=changed)
    assert (await updated.json())["name"] == "Late evening"
    activated = await api.client.post("/api/scenes/evening/activate", headers=api.auth())
    result = await activated.json()
    assert result["ok"] is True
    assert [d["status"] for d in result["devices"]] == ["confirmed"]
    assert api.registry.get("lamp").value("power") is True
    listed = await (await api.client.get("/api/scenes", headers=api.auth())).json()
    assert {s["id"] for s in listed["scenes"]} == {"evening", "movie-night"}
    assert (await api.client.delete("/api/scenes/evening", headers=api.auth())).status == 204
    gone = await api.client.post("/api/scenes/evening/activate", headers=api.auth())
    assert (gone.status, (await gone.json())["error"]["field"]) == (404, "scene_id")


async def test_a_scene_from_the_devices_current_values(api: Api) -> None:
    snap = await api.client.post("/api/scene-snapshots", headers=api.auth(),
                                 json={"id": "now", "name": "Now", "devices": ["lamp"]})  # fmt: skip
    assert snap.status == 201
    assert {t["feature"] for t in (await snap.json())["targets"]} == {"power", "brightness", "mode"}
    unknown = await api.client.post("/api/scene-snapshots", headers=api.auth(),
                                    json={"name": "X", "devices": ["lamp", "toaster"]})  # fmt: skip
    assert (unknown.status, (await unknown.json())["error"]["field"]) == (422, "devices.1")


async def test_scene_targets_are_checked_against_the_devices(api: Api) -> None:
    cases = [
        ({"device": "toaster", "feature": "power", "value": True}, "targets.0.device"),
        ({"device": "lamp", "feature": "colour", "value": 1}, "targets.0.feature"),
        ({"device": "lamp", "feature": "toggle", "value": True}, "targets.0.feature"),
        ({"device": "lamp", "feature": "brightness", "value": 101}, "targets.0.value"),
        ({"device": "lamp", "feature": "brightness"}, "targets.0.value"),
        ({"device": "lamp", "feature": "power", "value": [True]}, "targets.0.value"),
    ]
    for target, field in cases:
        body = {"id": "bad", "name": "Bad", "targets": [target]}
        response = await api.client.post("/api/scenes", headers=api.auth(), json=body)
        assert response.status == 422, target
        assert (await response.json())["error"]["field"] == field
    assert "bad" not in api.ctx.scenes.scenes


async def test_configured_scenes_are_read_only(api: Api) -> None:
    api.ctx.scenes.add_configured([EVENING])
    response = await api.client.delete("/api/scenes/evening", headers=api.auth())
    assert response.status == 422
    assert "config.yaml" in (await response.json())["error"]["message"]


async def test_automations_create_get_update_enable_run_traces_delete(api: Api) -> None:
    created = await api.client.post("/api/automations", headers=api.auth(), json=HELLO)
    assert created.status == 201
    view = await created.json()
    assert (view["source"], view["running"], view["last_trace"]) == ("api", 0, None)
    duplicate = await api.client.post("/api/automations", headers=api.auth(), json=HELLO)
    assert duplicate.status == 409
    bad = {**HELLO, "action": [{"action": "set", "device": "lamp"}]}
    rejected = await api.client.put("/api/automations/hello", headers=api.auth(), json=bad)
    assert rejected.status == 422
    assert (await rejected.json())["error"]["field"] == "action.0.feature"
    renamed = await api.client.put("/api/automations/hello", headers=api.auth(),
                                   json={**HELLO, "alias": "Hi there"})  # fmt: skip
    assert (await renamed.json())["alias"] == "Hi there"
    off = await api.client.post("/api/automations/hello/disable", headers=api.auth())
    assert (await off.json())["enabled"] is False
    fired = await api.client.post("/api/webhooks/hi", headers=api.auth(), json={"who": "door"})
    assert (await fired.json())["triggered"] == 1  # it listens, but is disabled: no run
    assert api.registry.get("lamp").value("power") is False
    on = await api.client.post("/api/automations/hello/enable", headers=api.auth())
    assert (await on.json())["enabled"] is True
    run = await api.client.post("/api/automations/hello/run", headers=api.auth())
    assert run.status == 202
    trace_id = (await run.json())["trace"]
    await until(lambda: api.registry.get("lamp").value("power") is True)
    traces = await (
        await api.client.get("/api/automations/hello/traces", headers=api.auth())
    ).json()
    assert traces["traces"][0]["id"] == trace_id
    listed = await (await api.client.get("/api/automations", headers=api.auth())).json()
    assert listed["automations"][0]["last_trace"]["id"] == trace_id
    one = await (await api.client.get("/api/automations/hello", headers=api.auth())).json()
    assert one["alias"] == "Hi there"
    assert (await api.client.delete("/api/automations/hello", headers=api.auth())).status == 204
    missing = await api.client.post("/api/automations/hello/run", headers=api.auth())
    assert (missing.status, (await missing.json())["error"]["field"]) == (404, "automation_id")


async def test_automation_routes_say_so_when_the_engine_is_not_running(tmp_path: Path) -> None:
    async with api_rig(tmp_path, engine=False) as api:
        response = await api.client.get("/api/automations", headers=api.auth())
        assert response.status == 503
        assert (await response.json())["error"]["code"] == "unavailable"
        scenes = await api.client.get("/api/scenes", headers=api.auth())
        assert scenes.status == 200


async def test_webhook_bodies_are_json_objects(api: Api) -> None:
    response = await api.client.post("/api/webhooks/hi", headers=api.auth(), json=[1, 2])
    assert (response.status, (await response.json())["error"]["field"]) == (422, "body")
    empty = await api.client.post("/api/webhooks/hi", headers=api.auth())
    assert (await empty.json()) == {"triggered": 0}
