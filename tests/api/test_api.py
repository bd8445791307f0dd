"""The REST API as a phone uses it: pairing, devices, commands, scenes, automations."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.api.rig import JPEG, Api, api_rig


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with api_rig(tmp_path) as rig:
        yield rig


async def test_health_needs_no_token_but_everything_else_does(api: Api) -> None:
    assert (await api.client.get("/api/health")).status == 200
    response = await api.client.get("/api/devices")
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "no_token"
    bad = await api.client.get("/api/devices", headers=api.auth("nope.nope"))
    assert bad.status == 401


async def test_pairing_gives_a_token_once_and_nothing_leaks(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    code = await api.ctx.auth.create_pairing_code(["read"])
    response = await api.client.post("/api/pair", json={"code": code, "name": "Ann's phone"})
    assert response.status == 201
    token = (await response.json())["token"]
    again = await api.client.post("/api/pair", json={"code": code, "name": "thief"})
    assert again.status == 401
    assert (await api.client.get("/api/devices", headers=api.auth(token))).status == 200
    forbidden = await api.client.post("/api/devices/lamp/commands", headers=api.auth(token),
                                      json={"feature": "power", "value": True})  # fmt: skip
    assert forbidden.status == 403
    listed = await (await api.client.get("/api/tokens", headers=api.auth())).json()
    assert {t["name"] for t in listed["tokens"]} == {"test admin", "Ann's phone"}
    assert token.split(".")[1] not in str(listed)
    assert code not in caplog.text
    assert token not in caplog.text


async def test_failed_attempts_are_locked_out(api: Api) -> None:
    for _ in range(5):
        response = await api.client.post("/api/pair", json={"code": "WRONG-CODE", "name": "x"})
        assert response.status == 401
    locked = await api.client.post("/api/pair", json={"code": "WRONG-CODE", "name": "x"})
    assert locked.status == 429
    assert int(locked.headers["Retry-After"]) > 0


async def test_revoked_tokens_stop_working(api: Api) -> None:
    token = await api.ctx.auth.issue("old phone", ["read"])
    token_id = token.split(".")[0]
    assert (await api.client.delete(f"/api/tokens/{token_id}", headers=api.auth())).status == 204
    assert (await api.client.get("/api/devices", headers=api.auth(token))).status == 401


async def test_devices_list_filters_and_get(api: Api) -> None:
    api.registry.rename("lamp", room="Hall")
    everything = await (await api.client.get("/api/devices", headers=api.auth())).json()
    assert {d["id"] for d in everything["devices"]} == {"lamp", "button", "thermo"}
    hall = await (await api.client.get("/api/devices?room=Hall", headers=api.auth())).json()
    assert [d["id"] for d in hall["devices"]] == ["lamp"]
    sensors = await (await api.client.get("/api/devices?kind=sensor", headers=api.auth())).json()
    assert [d["id"] for d in sensors["devices"]] == ["thermo"]
    rooms = await (await api.client.get("/api/rooms", headers=api.auth())).json()
    assert rooms["rooms"] == [{"name": "Hall", "devices": ["lamp"]}]


async def test_rename_and_move(api: Api) -> None:
    response = await api.client.patch("/api/devices/lamp", headers=api.auth(),
                                      json={"name": "Desk lamp", "room": "Study"})  # fmt: skip
    assert (await response.json())["name"] == "Desk lamp"
    assert api.registry.get("lamp").room == "Study"


async def test_a_command_is_confirmed_and_an_idempotency_key_prevents_a_repeat(api: Api) -> None:
    headers = {**api.auth(), "Idempotency-Key": "tap-1"}
    body = {"feature": "brightness", "value": 30}
    first = await api.client.post("/api/devices/lamp/commands", headers=headers, json=body)
    assert (await first.json())["status"] == "confirmed"
    again = await api.client.post("/api/devices/lamp/commands", headers=headers, json=body)
    assert again.headers.get("Idempotent-Replay") == "true"
    assert await again.json() == await first.json()
    assert api.adapter.sent == [("lamp", "brightness", 30)]


async def test_actions_run(api: Api) -> None:
    response = await api.client.post("/api/devices/lamp/commands", headers=api.auth(),
                                     json={"action": "toggle"})  # fmt: skip
    assert response.status == 200
    assert api.registry.get("lamp").value("power") is True


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/api/devices/lamp/commands", {"feature": "brightness", "value": 500}, 422, "value"),
        ("/api/devices/lamp/commands", {"feature": "brightness"}, 422, None),
        ("/api/devices/lamp/commands", {"feature": "colour", "value": 1}, 422, "value"),
        ("/api/devices/nope/commands", {"feature": "power", "value": True}, 404, None),
        ("/api/devices/lamp/commands", {"feature": "power", "value": [1]}, 422, "value"),
        ("/api/devices/lamp/commands", {"feature": "power", "value": True, "x": 1}, 422, "x"),
    ],
)
async def test_bad_input_gets_a_4xx_that_names_the_problem(
    api: Api, path: str, body: dict[str, object], status: int, field: str | None
) -> None:
    response = await api.client.post(path, headers=api.auth(), json=body)
    assert response.status == status
    error = (await response.json())["error"]
    assert error["message"]
    if field is not None:
        assert error.get("field", "").startswith(field)


async def test_not_json_and_wrong_content_type(api: Api) -> None:
    headers = {**api.auth(), "Content-Type": "application/json"}
    broken = await api.client.post("/api/devices/lamp/commands", headers=headers, data="{oops")
    assert broken.status == 400
    text = await api.client.post("/api/devices/lamp/commands", headers=api.auth(), data="x")
    assert text.status == 415


async def test_camera_snapshot(api: Api) -> None:
    from hub.devices.model import Feature, FeatureKind

    api.registry.get("thermo").features["snapshot"] = Feature("snapshot", FeatureKind.IMAGE)
    response = await api.client.get("/api/devices/thermo/snapshot", headers=api.auth())
    assert response.content_type == "image/jpeg"
    assert await response.read() == JPEG
    assert (await api.client.get("/api/devices/lamp/snapshot", headers=api.auth())).status == 404


async def test_scenes_create_snapshot_activate_delete(api: Api) -> None:
    scene = {"id": "evening", "name": "Evening", "targets": [
        {"device": "lamp", "feature": "brightness", "value": 20}]}  # fmt: skip
    assert (await api.client.put("/api/scenes/evening", headers=api.auth(), json=scene)).ok
    activated = await api.client.post("/api/scenes/evening/activate", headers=api.auth())
    results = (await activated.json())["results"]
    assert results == [{"device": "lamp", "feature": "brightness", "status": "confirmed"}]
    snap = await api.client.post("/api/scenes/snapshot", headers=api.auth(),
                                 json={"id": "now", "name": "Now", "devices": ["lamp"]})  # fmt: skip
    assert {t["feature"] for t in (await snap.json())["targets"]} == {"power", "brightness"}
    listed = await (await api.client.get("/api/scenes", headers=api.auth())).json()
    assert {s["id"] for s in listed["scenes"]} == {"evening", "now"}
    assert (await api.client.delete("/api/scenes/evening", headers=api.auth())).status == 204
    gone = await api.client.post("/api/scenes/evening/activate", headers=api.auth())
    assert gone.status == 404


async def test_automations_crud_enable_run_and_traces(api: Api) -> None:
    automation = {"id": "hello", "alias": "Hello", "trigger": [
        {"platform": "webhook", "webhook_id": "hi"}],
        "action": [{"action": "set", "device": "lamp", "feature": "power", "value": True}]}  # fmt: skip
    assert (await api.client.put("/api/automations/hello", headers=api.auth(),
                                 json=automation)).status == 200  # fmt: skip
    bad = {**automation, "action": [{"action": "set", "device": "lamp"}]}
    rejected = await api.client.put("/api/automations/hello", headers=api.auth(), json=bad)
    assert rejected.status == 422
    assert "action" in (await rejected.json())["error"]["field"]
    off = await api.client.post("/api/automations/hello/enabled", headers=api.auth(),
                                json={"enabled": False})  # fmt: skip
    assert (await off.json())["enabled"] is False
    fired = await api.client.post("/api/webhooks/hi", headers=api.auth())
    assert (await fired.json())["triggered"] == 1  # listed, but disabled: no run
    run = await api.client.post("/api/automations/hello/run", headers=api.auth())
    assert run.status == 202
    import asyncio

    await asyncio.sleep(0.1)
    traces = await (
        await api.client.get("/api/automations/hello/traces", headers=api.auth())
    ).json()
    assert traces["traces"][0]["result"] == "done"
    assert api.registry.get("lamp").value("power") is True
    listed = await (await api.client.get("/api/automations", headers=api.auth())).json()
    assert listed["automations"][0]["last_trace"]["result"] == "done"
    assert (await api.client.delete("/api/automations/hello", headers=api.auth())).status == 204


async def test_system_counters_and_security_headers(api: Api) -> None:
    response = await api.client.get("/api/system/stats", headers=api.auth())
    stats = await response.json()
    assert stats["devices"] == 3
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    page = await api.client.get("/")
    assert page.status == 200
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


async def test_cors_is_closed_to_other_origins(api: Api) -> None:
    preflight = await api.client.options("/api/devices", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "GET"})  # fmt: skip
    assert preflight.status == 403
    response = await api.client.get("/api/devices", headers={
        **api.auth(), "Origin": "http://evil.example"})  # fmt: skip
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_openapi_document_matches_the_routes(api: Api) -> None:
    document = await (await api.client.get("/api/openapi.json")).json()
    assert document["openapi"] == "3.1.0"
    served = {
        (route.method.lower(), route.resource.canonical)  # type: ignore[union-attr]
        for route in api.client.app.router.routes()  # type: ignore[union-attr]
        if route.resource is not None
        and route.resource.canonical.startswith("/api/")
        and route.method != "HEAD"
    }
    documented = {(m, p) for p, ops in document["paths"].items() for m in ops}
    undocumented = served - documented - {("get", "/api/openapi.json"), ("get", "/api/docs")}
    assert undocumented == set()
    assert documented - served == set()
    docs = await api.client.get("/api/docs")
    assert "/api/devices/{device_id}/commands" in await docs.text()
