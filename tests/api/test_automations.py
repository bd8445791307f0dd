"""Automations over the API: bad definitions are 422s that leave nothing behind, devices are
checked as scenes' are, a repeated POST is a 409, and a client can wait for a run's trace."""

from __future__ import annotations

from typing import Any

import pytest

from hub.scenes.engine import COLLECTION
from tests.api.rig import Api

LAMP_ON = {"action": "set", "device": "lamp", "feature": "power", "value": True}


def automation(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": "a1", "alias": "A one",
                            "trigger": [{"platform": "webhook", "webhook_id": "go"}],
                            "action": [LAMP_ON]}  # fmt: skip
    body.update(changes)
    return body


async def post(api: Api, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = await api.client.post("/api/automations", headers=api.auth(), json=body)
    return response.status, await response.json()


async def stored_ids(api: Api) -> set[str]:
    return set(await api.store.all(COLLECTION))


async def test_an_invalid_mqtt_topic_is_a_422_and_leaves_nothing_behind(api: Api) -> None:
    """Issue 10.1: ``a+b`` answered 500, stayed in memory unsaved, and broke later writes."""
    for topic in ("a+b", "a/#/b", "a#", "x\u0000y", ""):
        status, body = await post(api, automation(trigger=[{"platform": "mqtt", "topic": topic}]))
        assert status == 422, topic
        assert body["error"]["field"] == "trigger.0.topic"
    wild = automation(action=[{"action": "publish", "topic": "home/+/set"}])
    status, body = await post(api, wild)
    assert (status, body["error"]["field"]) == (422, "action.0.topic")
    assert api.ctx.engine is not None
    assert api.ctx.engine.automations == {}
    assert await stored_ids(api) == set()
    good = automation(trigger=[{"platform": "mqtt", "topic": "home/+/motion/#"}])
    assert (await post(api, good))[0] == 201
    assert set(api.ctx.engine.automations) == await stored_ids(api) == {"a1"}
    deleted = await api.client.delete("/api/automations/a1", headers=api.auth())
    assert deleted.status == 204
    assert set(api.ctx.engine.automations) == await stored_ids(api) == set()


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"action": [{"action": "repeat", "count": 20_000, "sequence": [LAMP_ON]}]},
         "action.0.count", "at most 10000"),
        ({"action": [{"action": "repeat", "max_iterations": 10**9, "sequence": [LAMP_ON],
                      "while": [{"condition": "available", "device": "lamp"}]}]},
         "action.0.max_iterations", "at most 10000"),
        ({"action": [{"action": "delay", "seconds": {"days": 1e308}}]},
         "action.0.seconds", "finite"),
        ({"action": [{"action": "delay", "seconds": {"days": 8}}]}, "action.0.seconds",
         "at most 7 days"),
        ({"alias": "x" * 200_000}, "alias", "at most 200"),
        ({"alias": "two\nlines"}, "alias", "control characters"),
        ({"alias": "nul\u0000"}, "alias", "control characters"),
    ],
)  # fmt: skip
async def test_absurd_values_are_422s_that_say_what_is_allowed(
    api: Api, change: dict[str, Any], field: str, says: str
) -> None:
    """Issues 10.2 and 10.7: no ceiling on repeats, infinite delays, 200 kB names with NUL."""
    status, body = await post(api, automation(**change))
    assert (status, body["error"]["field"]) == (422, field)
    assert says in body["error"]["message"]
    assert await stored_ids(api) == set()


async def test_deep_nesting_is_a_422_and_the_list_still_answers(api: Api) -> None:
    """Issue 10.7: conditions ~130 deep made GET /api/automations a 500 for ever."""
    condition: dict[str, Any] = {"condition": "available", "device": "lamp"}
    for _ in range(25):
        condition = {"condition": "and", "conditions": [condition]}
    status, body = await post(api, automation(condition=[condition]))
    assert (status, body["error"]["field"]) == (422, "condition")
    assert "at most 20 levels" in body["error"]["message"]
    for _ in range(300):
        condition = {"condition": "and", "conditions": [condition]}
    status, body = await post(api, automation(condition=[condition]))
    assert status == 422
    listed = await api.client.get("/api/automations", headers=api.auth())
    assert listed.status == 200


async def test_devices_features_and_values_are_checked_as_for_scenes(api: Api) -> None:
    """Issue 11.6: a scene naming an unknown device was a 422, an automation a 201."""
    cases = [
        (automation(action=[{**LAMP_ON, "device": "toaster"}]), "action.0.device"),
        (automation(action=[{**LAMP_ON, "feature": "colour"}]), "action.0.feature"),
        (automation(action=[{**LAMP_ON, "feature": "brightness", "value": 101}]),
         "action.0.value"),
        (automation(trigger=[{"platform": "state", "device": "toaster", "feature": "power"}]),
         "trigger.0.device"),
        (automation(condition=[{"condition": "state", "device": "lamp", "feature": "heat",
                                "state": 1}]), "condition.0.feature"),
        (automation(action=[{"action": "repeat", "count": 2, "sequence": [
            {**LAMP_ON, "device": "toaster"}]}]), "action.0.sequence.0.device"),
    ]  # fmt: skip
    for body, field in cases:
        status, answer = await post(api, body)
        assert (status, answer["error"]["field"]) == (422, field), body
    target = {"device": "toaster", "feature": "power", "value": True}
    scene = {"id": "s", "name": "S", "targets": [target]}
    response = await api.client.post("/api/scenes", headers=api.auth(), json=scene)
    assert (response.status, (await response.json())["error"]["field"]) == (
        422, "targets.0.device")  # fmt: skip
    assert await stored_ids(api) == set()


async def test_posting_the_same_automation_twice_is_a_409_naming_it(api: Api) -> None:
    """Issue 11.6: the second POST made a silent ``...-2`` copy."""
    body = automation(id=None, alias="Hall light")
    assert (await post(api, body))[0] == 201
    status, answer = await post(api, body)
    assert status == 409
    assert "'hall-light' exists already" in answer["error"]["message"]
    assert await stored_ids(api) == {"hall-light"}


async def test_a_client_can_wait_for_a_run_to_finish(api: Api) -> None:
    """The flaky e2e test read a trace before its run had finished."""
    slow = automation(action=[{"action": "delay", "seconds": 0.3}, LAMP_ON])
    assert (await post(api, slow))[0] == 201
    run = await api.client.post("/api/automations/a1/run", headers=api.auth())
    trace_id = (await run.json())["trace"]
    url = f"/api/automations/a1/traces/{trace_id}"
    now = await (await api.client.get(url, headers=api.auth())).json()
    assert now["result"] == "running"
    waited = await api.client.get(f"{url}?wait=5", headers=api.auth())
    trace = await waited.json()
    assert trace["result"] == "done"
    assert [a["result"] for a in trace["actions"]] == ["ok", "confirmed"]
    for wait in ("-1", "31", "soon"):
        bad = await api.client.get(f"{url}?wait={wait}", headers=api.auth())
        assert (bad.status, (await bad.json())["error"]["field"]) == (422, "wait")
    missing = await api.client.get("/api/automations/a1/traces/a1-999", headers=api.auth())
    assert (missing.status, (await missing.json())["error"]["field"]) == (404, "trace_id")
