"""POST /api/system/reload's refusals; what it applies is tests/test_reload.py's, with a real
hub process and its config file."""

from __future__ import annotations

from pathlib import Path

from tests.api.rig import api_rig


async def test_reload_needs_the_admin_scope_and_a_config_file(tmp_path: Path) -> None:
    async with api_rig(tmp_path) as api:
        reader = await api.ctx.auth.issue("reader", ["read"])
        refused = await api.client.post("/api/system/reload", headers=api.auth(reader))
        assert refused.status == 403
        answer = await api.client.post("/api/system/reload", headers=api.auth())
        assert answer.status == 409
        error = (await answer.json())["error"]
        assert "not started from a config file" in error["message"]
