"""Pairing, tokens and scopes, the lockout, origins, headers, and secrets that never leak."""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path

import aiohttp
import pytest

from hub.api.auth import (
    CODES,
    TOKENS,
    create_pairing_code,
    pair_in_terminal,
    pairing_url,
)
from hub.store import Store
from tests.api.rig import Api, api_rig


async def test_health_needs_no_token_but_everything_else_does(api: Api) -> None:
    assert (await api.client.get("/api/health")).status == 200
    response = await api.client.get("/api/devices")
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    error = (await response.json())["error"]
    assert (error["code"], error["field"]) == ("no_token", "Authorization")
    assert (await api.client.get("/api/devices", headers=api.auth("nope.nope"))).status == 401
    assert (
        await api.client.get("/api/devices", headers={"Authorization": api.admin})
    ).status == 401


async def test_scopes_read_control_admin(api: Api) -> None:
    reader = await api.ctx.auth.issue("kitchen tablet", ["read"])
    controller = await api.ctx.auth.issue("child's phone", ["control"])
    command = {"feature": "power", "value": True}
    assert (await api.client.get("/api/devices", headers=api.auth(reader))).status == 200
    denied = await api.client.post("/api/devices/lamp/commands", headers=api.auth(reader),
                                   json=command)  # fmt: skip
    assert denied.status == 403
    assert "'control'" in (await denied.json())["error"]["message"]
    allowed = await api.client.post("/api/devices/lamp/commands", headers=api.auth(controller),
                                    json=command)  # fmt: skip
    assert allowed.status == 200
    rename = await api.client.patch("/api/devices/lamp", headers=api.auth(controller),
                                    json={"name": "x"})  # fmt: skip
    assert rename.status == 403
    assert (await api.client.get("/api/tokens", headers=api.auth(controller))).status == 403
    session = await (await api.client.get("/api/session", headers=api.auth(controller))).json()
    assert session["scopes"] == ["read", "control"]


async def test_pairing_gives_a_token_once(api: Api) -> None:
    code = await api.ctx.auth.create_pairing_code(["read", "control"])
    response = await api.client.post(
        "/api/pair", json={"code": code.lower(), "name": "Ann's phone"}
    )
    assert response.status == 201
    assert response.headers["Cache-Control"] == "no-store"
    paired = await response.json()
    assert paired["scopes"] == ["read", "control"]
    again = await api.client.post("/api/pair", json={"code": code, "name": "thief"})
    assert again.status == 401
    assert (await again.json())["error"]["field"] == "code"
    assert (await api.client.get("/api/devices", headers=api.auth(paired["token"]))).status == 200


async def test_an_expired_code_is_refused(api: Api) -> None:
    code = await create_pairing_code(api.store, ["read"], ttl=-1)
    response = await api.client.post("/api/pair", json={"code": code, "name": "late"})
    assert response.status == 401


async def test_tokens_are_listed_without_secrets_and_stored_only_as_hashes(api: Api) -> None:
    token = await api.ctx.auth.issue("old phone", ["read"])
    await api.client.get("/api/devices", headers=api.auth(token))
    listed = await (await api.client.get("/api/tokens", headers=api.auth())).json()
    old = next(t for t in listed["tokens"] if t["name"] == "old phone")
    assert set(old) == {"id", "name", "scopes", "created", "last_used"}
    assert old["last_used"] is not None
    secret = token.split(".", 1)[1]
    assert secret not in str(listed)
    stored = await api.store.all(TOKENS)
    assert secret not in str(stored)
    assert all(set(doc) == {"hash", "name", "scopes", "created", "last_used"}
               for doc in stored.values())  # fmt: skip


async def test_revoked_tokens_stop_working_and_their_live_clients_are_closed(api: Api) -> None:
    token = await api.ctx.auth.issue("old phone", ["read"])
    token_id = token.split(".")[0]
    async with api.client.ws_connect("/api/events", headers=api.auth(token)) as ws:
        assert (await ws.receive_json(timeout=2))["type"] == "hello"
        revoked = await api.client.delete(f"/api/tokens/{token_id}", headers=api.auth())
        assert revoked.status == 204
        await ws.receive(timeout=2)
        assert ws.close_code == 4401
    assert (await api.client.get("/api/devices", headers=api.auth(token))).status == 401
    gone = await api.client.delete(f"/api/tokens/{token_id}", headers=api.auth())
    assert gone.status == 404


async def test_tokens_survive_a_restart(tmp_path: Path) -> None:
    async with api_rig(tmp_path) as api:
        token = await api.ctx.auth.issue("phone", ["read"])
    async with api_rig(tmp_path) as api:
        assert (await api.client.get("/api/devices", headers=api.auth(token))).status == 200


async def test_wrong_tokens_back_off_per_token_id_and_the_right_token_still_works(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    admin_id = api.admin.split(".")[0]
    guess = f"{admin_id}.not-the-secret"
    for _ in range(5):
        assert (await api.client.get("/api/devices", headers=api.auth(guess))).status == 401
    locked = await api.client.get("/api/devices", headers=api.auth(guess))
    assert locked.status == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 60
    # the same address, with the right token, is served: lockout is by what was guessed
    assert (await api.client.get("/api/devices", headers=api.auth())).status == 200
    assert (await api.client.get("/api/devices", headers=api.auth("other.x"))).status == 401
    async with api.client.ws_connect("/api/events") as ws:
        await ws.send_json({"token": api.admin})
        assert (await ws.receive_json(timeout=2))["type"] == "hello"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "lockout" in
                r.getMessage()]  # fmt: skip
    assert len(warnings) == 1
    assert admin_id in warnings[0].getMessage()
    assert "not-the-secret" not in caplog.text


async def test_wrong_pairing_codes_never_refuse_a_right_code(api: Api) -> None:
    code = await api.ctx.auth.create_pairing_code(["read"])
    for _ in range(20):
        response = await api.client.post("/api/pair", json={"code": "WRONG-CODE", "name": "x"})
        assert response.status == 401
    assert (await api.client.post("/api/pair", json={"code": code, "name": "p"})).status == 201
    assert (await api.client.get("/api/devices", headers=api.auth())).status == 200


async def test_past_the_pairing_ceiling_older_codes_stop_working_and_it_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with api_rig(tmp_path, pairing_ceiling=10) as api:
        old = await api.ctx.auth.create_pairing_code(["read"])
        for _ in range(10):
            response = await api.client.post("/api/pair", json={"code": "BAD-0", "name": "x"})
            assert response.status == 401
        ceiling = await api.client.post("/api/pair", json={"code": "BAD-1", "name": "x"})
        assert ceiling.status == 429
        assert 0 < int(ceiling.headers["Retry-After"]) <= 600
        refused = await api.client.post("/api/pair", json={"code": old, "name": "p"})
        assert (refused.status, (await refused.json())["error"]["code"]) == (401, "code_void")
        await asyncio.sleep(0.01)  # a code made after the guesses (wall clock) has its budget
        new = await api.ctx.auth.create_pairing_code(["read"])
        assert (await api.client.post("/api/pair", json={"code": new, "name": "p"})).status == 201
    lockouts = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("pairing lockout" in r.getMessage() for r in lockouts)
    assert any("was refused" in r.getMessage() for r in lockouts)
    for code in (old, new):
        assert code not in caplog.text


async def test_a_wrong_websocket_token_is_told_so(api: Api) -> None:
    async with api.client.ws_connect("/api/events") as ws:
        await ws.send_json({"token": "abc.wrong"})
        closed = await ws.receive(timeout=2)
        assert ws.close_code == 4401
        assert "not valid" in str(closed.extra)


async def test_a_silent_websocket_is_closed_soon_and_holds_a_client_slot_meanwhile(
    tmp_path: Path,
) -> None:
    async with api_rig(tmp_path, max_ws_clients=2) as api:
        async with api.client.ws_connect("/api/events") as first, \
                api.client.ws_connect("/api/events") as second:  # fmt: skip
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await api.client.ws_connect("/api/events")
            assert refused.value.status == 503
            closed = await first.receive(timeout=10)
            assert first.close_code == 4408  # the page keeps its token and reconnects
            assert "no token within 3 s" in str(closed.extra)
            await second.receive(timeout=10)
        async with api.client.ws_connect("/api/events") as ws:  # the slots are free again
            await ws.send_json({"token": api.admin})
            assert (await ws.receive_json(timeout=2))["type"] == "hello"


async def test_the_cli_stores_a_code_the_running_hub_accepts_and_prints_a_qr_code(
    api: Api, tmp_path: Path
) -> None:
    out = io.StringIO()
    async with Store(tmp_path / "hub.db") as cli_store:  # the CLI's own connection
        code = await pair_in_terminal(cli_store, "http://192.0.2.7:8321", ["read"], out=out)
        assert code not in str(await cli_store.all(CODES))  # only its hash is stored
    printed = out.getvalue()
    assert f"Pairing code: {code}" in printed
    assert "\u2588" in printed or "\u2580" in printed  # the QR code's blocks
    assert pairing_url("http://192.0.2.7:8321/", code) == f"http://192.0.2.7:8321/#pair={code}"
    response = await api.client.post("/api/pair", json={"code": code, "name": "scanned"})
    assert response.status == 201


async def test_a_paired_admin_can_make_a_code_for_another_phone(api: Api) -> None:
    response = await api.client.post("/api/pairing-codes", headers=api.auth(),
                                     json={"scopes": ["read"]})  # fmt: skip
    made = await response.json()
    assert response.status == 201
    assert made["url"].endswith(f"/#pair={made['code']}")
    paired = await api.client.post("/api/pair", json={"code": made["code"], "name": "guest"})
    assert (await paired.json())["scopes"] == ["read"]


async def test_no_token_or_code_is_ever_logged_or_answered_after_it_is_issued(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets: list[str] = []
    answers: list[str] = []
    async with api_rig(tmp_path) as api:
        secrets.append(api.admin)
        out = io.StringIO()
        code = await pair_in_terminal(api.store, api.url, out=out)
        secrets.append(code)
        paired = await (await api.client.post("/api/pair", json={"code": code, "name": "p"})).json()
        token = paired["token"]
        secrets.append(token)
        for method, path, body in [
            ("GET", "/api/devices", None), ("GET", "/api/tokens", None),
            ("GET", "/api/session", None), ("GET", "/api/system/stats", None),
            ("POST", "/api/devices/lamp/commands", {"feature": "power", "value": True}),
            ("POST", "/api/pair", {"code": code, "name": "again"}),
            ("GET", "/api/openapi.json", None), ("GET", "/api/docs", None),
        ]:  # fmt: skip
            response = await api.client.request(method, path, json=body, headers=api.auth(token))
            answers.append(await response.text())
        for bad in (token[:-1] + "x", code):
            response = await api.client.get("/api/devices", headers=api.auth(bad))
            answers.append(await response.text())
        async with api.client.ws_connect("/api/events") as ws:
            await ws.send_json({"token": token})
            answers.append(str(await ws.receive_json(timeout=2)))
        # a request aiohttp cannot parse (a bare LF inside the header): its bytes hold the token
        host, port = api.client.server.host, api.client.server.port
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET /api/devices HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\n"
                     + token.encode() + b"\r\n\r\n")  # fmt: skip
        refused = (await reader.read()).decode(errors="replace")  # aiohttp echoes the bad
        writer.close()  # line to its sender, who holds the token anyway: not in `answers`
        await writer.wait_closed()
        assert refused.startswith(("HTTP/1.0 400", "HTTP/1.1 400"))
        token_id = token.split(".")[0]
        response = await api.client.delete(f"/api/tokens/{token_id}", headers=api.auth())
        answers.append(await response.text())
        stored = str(await api.store.all(TOKENS)) + str(await api.store.all(CODES))
    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert "aiohttp.access" in {r.name for r in caplog.records}  # the access log was on
    for secret in secrets:
        for part in {secret, secret.split(".")[-1]}:
            assert part not in logged
            assert all(part not in answer for answer in answers)
            assert part not in stored


async def test_other_origins_are_refused_unless_listed(tmp_path: Path) -> None:
    async with api_rig(tmp_path, cors_origins=["http://phone.local:8080"]) as api:
        evil = {"Origin": "http://evil.example"}
        preflight = await api.client.options("/api/devices", headers={
            **evil, "Access-Control-Request-Method": "GET"})  # fmt: skip
        assert preflight.status == 403
        refused = await api.client.get("/api/devices", headers={**api.auth(), **evil})
        assert refused.status == 403
        assert "Access-Control-Allow-Origin" not in refused.headers
        listed = {"Origin": "http://phone.local:8080"}
        preflight = await api.client.options("/api/devices", headers={
            **listed, "Access-Control-Request-Method": "GET"})  # fmt: skip
        assert preflight.status == 204
        assert preflight.headers["Access-Control-Allow-Origin"] == "http://phone.local:8080"
        assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
        response = await api.client.get("/api/devices", headers={**api.auth(), **listed})
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == "http://phone.local:8080"
        same = await api.client.get("/api/devices", headers={**api.auth(), "Origin": api.url})
        assert same.status == 200
        assert "*" not in same.headers.get("Access-Control-Allow-Origin", "")


async def test_every_answer_carries_the_security_headers(api: Api) -> None:
    for path in ("/", "/app.js", "/style.css", "/api/health", "/api/devices", "/api/nope",
                 "/api/docs"):  # fmt: skip
        response = await api.client.get(path, headers=api.auth())
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    page = await api.client.get("/")
    assert page.content_type == "text/html"
    missing = await api.client.get("/api/nope", headers=api.auth())
    assert (missing.status, (await missing.json())["error"]["code"]) == (404, "not_found")
    wrong = await api.client.delete("/api/devices", headers=api.auth())
    assert wrong.status == 405
    assert "GET" in wrong.headers["Allow"]


async def test_a_forged_host_does_not_make_an_origin_same(api: Api) -> None:
    port = api.client.server.port
    rebound = {"Origin": f"http://evil.example:{port}", "Host": f"evil.example:{port}"}
    refused = await api.client.post("/api/pairing-codes", headers={**api.auth(), **rebound},
                                    json={"scopes": ["read"]})  # fmt: skip
    assert refused.status == 403
    assert (await refused.json())["error"]["code"] == "origin_not_allowed"
    for origin in (f"http://127.0.0.1:{port}", f"http://localhost:{port}"):
        same = await api.client.post("/api/pairing-codes", json={"scopes": ["read"]},
                                     headers={**api.auth(), "Origin": origin})  # fmt: skip
        assert same.status == 201, origin
    other_port = await api.client.get("/api/devices", headers={
        **api.auth(), "Origin": f"http://127.0.0.1:{port + 1}"})  # fmt: skip
    assert other_port.status == 403


async def test_head_answers_like_get_without_a_body(api: Api) -> None:
    for path in ("/api/devices", "/api/health", "/api/scenes", "/"):
        got = await api.client.get(path, headers=api.auth())
        head = await api.client.head(path, headers=api.auth())
        assert head.status == got.status == 200, path
        assert head.content_type == got.content_type
        assert await head.read() == b""
    assert (await api.client.head("/api/devices")).status == 401
