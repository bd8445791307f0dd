"""Nothing a client sends produces a 500: random bodies against the command and scene routes."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.rig import api_rig

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["feature", "value", "action", "args", "id", "name",
                                       "targets", "device", "x"]), children, max_size=5),
    max_leaves=12,
)  # fmt: skip
PATHS = st.sampled_from([
    ("POST", "/api/devices/lamp/commands"), ("POST", "/api/devices/x/commands"),
    ("PUT", "/api/scenes/s1"), ("POST", "/api/scenes/snapshot"),
    ("PUT", "/api/automations/a1"), ("PATCH", "/api/devices/lamp"), ("POST", "/api/pair"),
    ("POST", "/api/automations/a1/enabled"), ("POST", "/api/webhooks/w"),
])  # fmt: skip


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(st.data())
async def test_random_bodies_never_cause_a_server_error(
    tmp_path: Path, data: st.DataObject
) -> None:
    async with api_rig(tmp_path / str(id(data))) as api:
        for _ in range(5):
            method, path = data.draw(PATHS)
            body = data.draw(JSON)
            response = await api.client.request(
                method, path, headers={**api.auth(), "Content-Type": "application/json"},
                data=json.dumps(body),
            )  # fmt: skip
            assert response.status < 500, (method, path, body, await response.text())
            if response.status >= 400:
                assert "error" in await response.json()
