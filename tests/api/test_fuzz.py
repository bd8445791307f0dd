"""Nothing a client sends produces a 500: random JSON bodies against the write routes."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.rig import api_rig

KEYS = ["feature", "value", "action", "args", "id", "name", "targets", "device", "devices",
        "alias", "trigger", "condition", "action", "platform", "webhook_id", "code", "room",
        "scopes", "enabled", "x"]  # fmt: skip
SCALARS = (
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
    | st.sampled_from(["lamp", "power", "brightness", "toggle", "set", "state", "webhook"])
)  # fmt: skip
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS), children, max_size=6)
    ),
    max_leaves=16,
)
ROUTES = st.sampled_from([
    ("POST", "/api/devices/lamp/commands"), ("POST", "/api/devices/x/commands"),
    ("PATCH", "/api/devices/lamp"), ("POST", "/api/scenes"), ("PUT", "/api/scenes/s1"),
    ("POST", "/api/scene-snapshots"), ("POST", "/api/automations"),
    ("PUT", "/api/automations/a1"), ("POST", "/api/webhooks/w"), ("POST", "/api/pair"),
    ("POST", "/api/pairing-codes"),
])  # fmt: skip


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(st.data())
async def test_random_bodies_never_cause_a_server_error(
    tmp_path: Path, data: st.DataObject
) -> None:
    async with api_rig(tmp_path / str(id(data)), pairing_ceiling=1_000_000) as api:
        await api.client.post("/api/scenes", headers=api.auth(), json={
            "id": "s1", "name": "S", "targets": [
                {"device": "lamp", "feature": "power", "value": True}]})  # fmt: skip
        await api.client.post("/api/automations", headers=api.auth(), json={
            "id": "a1", "trigger": [{"platform": "webhook", "webhook_id": "w"}],
            "action": [{"action": "set", "device": "lamp", "feature": "power",
                        "value": True}]})  # fmt: skip
        for _ in range(8):
            method, path = data.draw(ROUTES)
            body = data.draw(JSON)
            response = await api.client.request(method, path, headers=api.auth(), json=body)
            text = await response.text()
            assert response.status < 500, (method, path, body, text)
            if response.status >= 400:
                error = (await response.json())["error"]
                assert error["message"], text
                if response.status in (400, 422):
                    assert error["field"], text  # the answer names what is wrong
