"""The OpenAPI document: generated from the route table and models, never apart from the
routes, readable at /api/docs, and held to by the running API (schemathesis)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

from hub.api.app import ROUTES
from tests.api.rig import Api, api_rig

SCHEMATHESIS = Path(sys.executable).parent / "st"


def _served(api: Api) -> set[tuple[str, str]]:
    served = set()
    for route in api.client.app.router.routes():  # type: ignore[union-attr]
        resource = route.resource
        if resource is None or route.method == "HEAD":
            continue
        path = resource.canonical
        if path.startswith("/api/"):
            served.add((route.method.lower(), path))
    return served


async def test_the_document_and_the_routes_never_drift_apart(api: Api) -> None:
    document = await (await api.client.get("/api/openapi.json")).json()
    assert document["openapi"] == "3.1.0"
    documented = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert _served(api) == documented
    assert len(documented) == len(ROUTES)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            scope = operation.get("x-scope")
            if scope is None:
                assert operation["security"] == [], (method, path)
            else:
                assert "401" in operation["responses"], (method, path)
                assert "403" in operation["responses"], (method, path)
            if "requestBody" in operation:
                assert "422" in operation["responses"], (method, path)


async def test_every_route_checks_the_scope_it_documents(api: Api) -> None:
    document = await (await api.client.get("/api/openapi.json")).json()
    reader = await api.ctx.auth.issue("reader", ["read"])
    for path, operations in document["paths"].items():
        concrete = path.replace("{", "").replace("}", "")
        for method, operation in operations.items():
            anonymous = await api.client.request(method, concrete)
            as_reader = await api.client.request(method, concrete, headers=api.auth(reader))
            scope = operation.get("x-scope")
            if scope is None:
                assert anonymous.status not in (401, 403), (method, path)
            else:
                assert anonymous.status == 401, (method, path)
                if scope == "read":
                    assert as_reader.status != 403, (method, path)
                else:
                    assert as_reader.status == 403, (method, path)


async def test_the_docs_page_is_self_contained(api: Api) -> None:
    page = await api.client.get("/api/docs")
    text = await page.text()
    assert page.content_type == "text/html"
    assert "/api/devices/{device_id}/commands" in text
    assert "<script" not in text
    for attribute in ("src=", "href="):
        for value in text.split(attribute)[1:]:
            target = value[1:].split(value[0])[0]
            assert target.startswith(("/", "#")), target  # nothing from elsewhere


async def _schemathesis(cwd: Path, api: Api, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS), "run", f"{api.url}/api/openapi.json",
        "-H", f"Authorization: Bearer {api.admin}",
        "--checks", "all",
        "--exclude-checks", "positive_data_acceptance",
        "--exclude-operation-id", "revoke_token",  # it would revoke its own token
        "--workers", "1", "--seed", "7", "--no-color", "--generation-database", "none",
        "--request-timeout", "10",
        *args,
        cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode(errors="replace")


@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is a dev dependency")
async def test_schemathesis_finds_no_server_error_and_no_drift(tmp_path: Path) -> None:
    # The admin token is never refused (lockout is per token id, the right one always
    # passes). Schemathesis's own wrong-token checks repeat one wrong token and expect 401,
    # which the 6th gets as 429, and its pairing bodies would spend the pairing budget: both
    # limits are raised so that no answer is a lockout's instead of the route's.
    async with api_rig(tmp_path, auth_failures=1_000_000, pairing_ceiling=1_000_000) as api:
        headers = api.auth()
        scene = {"id": "s1", "name": "S", "targets": [
            {"device": "lamp", "feature": "power", "value": True}]}  # fmt: skip
        automation: dict[str, Any] = {
            "id": "a1", "trigger": [{"platform": "webhook", "webhook_id": "w"}],
            "action": [{"action": "set", "device": "lamp", "feature": "power", "value": True}]}  # fmt: skip
        assert (await api.client.post("/api/scenes", headers=headers, json=scene)).status == 201
        created = await api.client.post("/api/automations", headers=headers, json=automation)
        assert created.status == 201
        # 1. random bodies and parameters on the routes, against real ids
        (tmp_path / "known").mkdir()
        (tmp_path / "known" / "schemathesis.toml").write_text(
            '[parameters]\ndevice_id = "camera"\nscene_id = "s1"\nautomation_id = "a1"\n'
            'webhook_id = "w"\n'
        )
        code, output = await _schemathesis(
            tmp_path / "known", api, "--phases", "examples,fuzzing", "--max-examples", "25"
        )
        assert code == 0, output
        # 2. the boundaries and invalid values of every parameter and body (coverage); the
        #    automation bodies are left to the fuzzing above (their schema makes ~40k cases)
        code, output = await _schemathesis(
            tmp_path, api, "--phases", "coverage", "--max-examples", "25",
            "--exclude-operation-id", "create_automation",
            "--exclude-operation-id", "put_automation",
            "--exclude-operation-id", "accept_suggestion",
        )  # fmt: skip
        assert code == 0, output
