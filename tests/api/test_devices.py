"""Devices as a phone sees them: the list, one device, renaming, commands, snapshots, rooms."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from PIL import Image

from hub.devices.model import Device, Feature, Protocol, Value
from hub.errors import DeviceAuthError, DeviceError, DeviceTimeout
from tests.api.rig import Api, api_rig

COMMANDS = "/api/devices/lamp/commands"


async def test_the_list_filters_by_room_and_kind_and_one_device_has_the_same_shape(
    api: Api,
) -> None:
    await api.registry.rename("lamp", room="Study")
    everything = await (await api.client.get("/api/devices", headers=api.auth())).json()
    assert {d["id"] for d in everything["devices"]} == {"lamp", "thermo", "camera", "button"}
    study = await (await api.client.get("/api/devices?room=Study", headers=api.auth())).json()
    assert [d["id"] for d in study["devices"]] == ["lamp"]
    sensors = await (await api.client.get("/api/devices?kind=sensor", headers=api.auth())).json()
    assert [d["id"] for d in sensors["devices"]] == ["thermo"]
    one = await (await api.client.get("/api/devices/lamp", headers=api.auth())).json()
    assert one == api.registry.get("lamp").as_dict()
    assert study["devices"][0] == one
    missing = await api.client.get("/api/devices/toaster", headers=api.auth())
    assert (missing.status, (await missing.json())["error"]["field"]) == (404, "device_id")
    bad = await api.client.get("/api/devices?kind=toaster", headers=api.auth())
    assert bad.status == 422
    assert (await bad.json())["error"]["field"] == "kind"


async def test_the_list_is_encoded_once_yet_never_stale(api: Api) -> None:
    """The list is kept as bytes between changes; every kind of change shows at once, in the
    gzipped answer (what browsers ask for) and the plain one alike."""

    async def listing(encoding: str) -> list[dict[str, Any]]:
        headers = {**api.auth(), "Accept-Encoding": encoding}
        async with api.client.get("/api/devices", headers=headers) as response:
            assert response.headers.get("Content-Encoding") == (
                "gzip" if encoding == "gzip" else None
            )
            devices: list[dict[str, Any]] = (await response.json())["devices"]
            return devices

    async def shows_the_registry() -> None:
        expected = [d.as_dict() for d in api.registry.devices.values()]
        assert await listing("gzip") == expected
        assert await listing("identity") == expected

    api.registry.update("thermo", {"temperature": 19.5})
    api.registry.get("thermo").state["temperature"].stale = True  # as if loaded at start-up
    await shows_the_registry()
    api.registry.update("thermo", {"temperature": 19.5})  # the same value, fresh again
    assert api.registry.get("thermo").state["temperature"].stale is False
    await shows_the_registry()
    api.registry.update("thermo", {"temperature": 20.0})
    await shows_the_registry()
    api.registry.set_availability("lamp", online=True)
    await api.registry.rename("lamp", "Desk lamp", "Study")
    await shows_the_registry()
    api.registry.remove("button")
    api.registry.add(Device("plug", "Plug", "test.plug", Protocol.MQTT))
    await shows_the_registry()
    assert [d["id"] for d in await listing("gzip")] == ["lamp", "thermo", "camera", "plug"]


async def test_rooms_come_from_the_configuration_and_from_the_devices(api: Api) -> None:
    await api.registry.rename("lamp", room="Study")
    rooms = await (await api.client.get("/api/rooms", headers=api.auth())).json()
    assert rooms == {
        "rooms": [{"name": "Hall", "devices": ["camera"]}, {"name": "Study", "devices": ["lamp"]}],
        "unassigned": ["thermo", "button"],
    }


async def test_rename_move_and_leave_a_room(api: Api) -> None:
    response = await api.client.patch("/api/devices/lamp", headers=api.auth(),
                                      json={"name": " Desk lamp ", "room": "Study"})  # fmt: skip
    assert (await response.json())["name"] == "Desk lamp"
    assert api.registry.get("lamp").room == "Study"
    await api.client.patch("/api/devices/lamp", headers=api.auth(), json={"room": None})
    assert api.registry.get("lamp").room is None
    blank = await api.client.patch("/api/devices/lamp", headers=api.auth(), json={"name": "  "})
    assert blank.status == 422
    assert (await blank.json())["error"]["field"] == "name"
    assert api.registry.get("lamp").name == "Desk lamp"


async def test_removing_a_device_forgets_it_with_its_state_and_token(api: Api) -> None:
    """Issue 11.9: a replaced device leaves no ghost; only an admin token may remove one."""
    await api.registry.set_secret("lamp", "token", "00112233445566778899aabbccddeeff")
    api.registry.update("lamp", {"power": True})
    await api.store.flush()
    control = await api.ctx.auth.issue("phone", ["read", "control"])
    refused = await api.client.delete("/api/devices/lamp", headers=api.auth(control))
    assert refused.status == 403
    removed = await api.client.delete("/api/devices/lamp", headers=api.auth())
    assert removed.status == 204
    listing = await (await api.client.get("/api/devices", headers=api.auth())).json()
    assert "lamp" not in {d["id"] for d in listing["devices"]}
    for collection in ("devices", "state", "secrets"):
        assert await api.store.get(collection, "lamp") is None, collection
    again = await api.client.delete("/api/devices/lamp", headers=api.auth())
    assert (again.status, (await again.json())["error"]["field"]) == (404, "device_id")


async def test_the_docs_show_the_command_bodys_fields_and_examples(api: Api) -> None:
    text = await (await api.client.get("/api/docs")).text()
    commands = text[text.index("<code>/api/devices/{device_id}/commands</code>") :]
    commands = commands[: commands.index("</details>")]
    for shown in ("<code>feature</code> string (required)", "<code>value</code> boolean",
                  "<code>action</code> string (required)", "<code>args</code> object",
                  "{&quot;feature&quot;: &quot;power&quot;, &quot;value&quot;: true}",
                  "{&quot;action&quot;: &quot;toggle&quot;}"):  # fmt: skip
        assert shown in commands, shown
    document = await (await api.client.get("/api/openapi.json")).json()
    delete = document["paths"]["/api/devices/{device_id}"]["delete"]
    assert delete["x-scope"] == "admin"
    assert "comes back" in delete["description"]


async def test_a_command_is_confirmed_by_the_device(api: Api) -> None:
    response = await api.client.post(COMMANDS, headers=api.auth(),
                                     json={"feature": "brightness", "value": 30})  # fmt: skip
    assert response.status == 200
    assert await response.json() == {"device": "lamp", "feature": "brightness", "value": 30,
                                      "status": "confirmed"}  # fmt: skip
    assert api.registry.get("lamp").value("brightness") == 30


async def test_an_idempotency_key_answers_a_retry_without_sending_again(api: Api) -> None:
    headers = {**api.auth(), "Idempotency-Key": "tap-1"}
    body = {"feature": "brightness", "value": 30}
    first, second = await asyncio.gather(
        api.client.post(COMMANDS, headers=headers, json=body),
        api.client.post(COMMANDS, headers=headers, json=body),
    )  # the retry arrives while the first is still running
    third = await api.client.post(COMMANDS, headers=headers, json=body)
    answers = [await r.json() for r in (first, second, third)]
    assert answers[0] == answers[1] == answers[2]
    assert [r.headers.get("Idempotent-Replay") for r in (first, second, third)].count("true") == 2
    assert api.adapter.sent == [("lamp", "brightness", 30)]
    other = await api.client.post(COMMANDS, headers=headers, json={**body, "value": 31})
    assert other.status == 422
    assert (await other.json())["error"]["field"] == "Idempotency-Key"
    fresh = await api.client.post(COMMANDS, headers={**api.auth(), "Idempotency-Key": "tap-2"},
                                  json=body)  # fmt: skip
    assert fresh.headers.get("Idempotent-Replay") is None
    assert len(api.adapter.sent) == 2


async def test_an_error_answer_is_kept_for_its_key_too(api: Api) -> None:
    headers = {**api.auth(), "Idempotency-Key": "k"}
    body = {"feature": "brightness", "value": 500}
    first = await api.client.post(COMMANDS, headers=headers, json=body)
    again = await api.client.post(COMMANDS, headers=headers, json=body)
    assert first.status == again.status == 422
    assert again.headers.get("Idempotent-Replay") == "true"


async def test_actions_run_and_say_what_they_returned(api: Api) -> None:
    response = await api.client.post(COMMANDS, headers=api.auth(), json={"action": "toggle"})
    assert response.status == 200
    assert await response.json() == {"device": "lamp", "action": "toggle",
                                     "status": "acknowledged", "output": {}}  # fmt: skip
    assert api.registry.get("lamp").value("power") is True
    wrong = await api.client.post(COMMANDS, headers=api.auth(), json={"action": "power"})
    assert wrong.status == 422
    assert (await wrong.json())["error"]["field"] == "action"


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        (COMMANDS, {"feature": "brightness", "value": 500}, 422, "value"),
        (COMMANDS, {"feature": "brightness", "value": 2.5}, 422, "value"),
        (COMMANDS, {"feature": "brightness"}, 422, "value"),
        (COMMANDS, {"feature": "colour", "value": 1}, 422, "feature"),
        (COMMANDS, {"feature": "power", "value": "on"}, 422, "value"),
        (COMMANDS, {"feature": "power", "value": [1]}, 422, "value"),
        (COMMANDS, {"feature": "power", "value": True, "x": 1}, 422, "x"),
        (COMMANDS, {"action": "toggle", "args": {"a": {"b": 1}}}, 422, "args.a"),
        (COMMANDS, [], 422, "body"),
        ("/api/devices/nope/commands", {"feature": "power", "value": True}, 404, "device_id"),
    ],
)
async def test_bad_input_gets_a_4xx_that_names_the_field(
    api: Api, path: str, body: object, status: int, field: str
) -> None:
    response = await api.client.post(path, headers=api.auth(), json=body)
    assert response.status == status
    error = (await response.json())["error"]
    assert error["message"]
    assert error["field"].startswith(field)


async def test_not_json_wrong_type_and_too_large(api: Api) -> None:
    headers = {**api.auth(), "Content-Type": "application/json"}
    broken = await api.client.post(COMMANDS, headers=headers, data="{oops")
    assert (broken.status, (await broken.json())["error"]["field"]) == (400, "body")
    nan = await api.client.post(
        COMMANDS, headers=headers, data='{"feature":"brightness","value":NaN}'
    )
    assert nan.status == 400
    text = await api.client.post(COMMANDS, headers=api.auth(), data="x")
    assert text.status == 415
    huge = await api.client.post(COMMANDS, headers=headers, data=b"[" + b"1," * 200_000 + b"1]")
    assert huge.status == 413
    assert (await huge.json())["error"]["code"] == "body_too_large"


class FailingAdapter:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def set_value(self, device: Device, feature: Feature, value: Value) -> None:
        raise self.error

    async def call_action(
        self, device: Device, feature: Feature, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        raise self.error


@pytest.mark.parametrize(
    ("error", "body", "status", "code"),
    [
        (DeviceTimeout("no answer after 3 tries"), {"feature": "power", "value": True}, 504,
         "device_timeout"),
        (DeviceTimeout("no answer"), {"action": "toggle"}, 504, "device_timeout"),
        (DeviceAuthError("checksum mismatch"), {"action": "toggle"}, 502, "device_auth"),
        (DeviceAuthError("checksum mismatch"), {"feature": "power", "value": True}, 502,
         "device_auth"),
        (DeviceError("device said no", -4004), {"feature": "power", "value": True}, 502,
         "device_error"),
    ],
)  # fmt: skip
async def test_device_failures_map_to_502_and_504_with_the_reason(
    api: Api, error: Exception, body: dict[str, Any], status: int, code: str
) -> None:
    api.registry.adapters[Protocol.MIIO] = FailingAdapter(error)
    response = await api.client.post(COMMANDS, headers=api.auth(), json=body)
    assert response.status == status
    answer = (await response.json())["error"]
    assert answer["code"] == code
    assert str(error) in answer["message"]
    if code == "device_auth":
        assert "token" in answer["message"]


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
async def camera_server() -> AsyncIterator[str]:
    """A camera's own HTTP snapshot endpoint, on 127.0.0.1."""
    image = _jpeg()

    async def snapshot(request: web.Request) -> web.Response:
        return web.Response(body=image, content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/snapshot.jpg", snapshot)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/snapshot.jpg"
    finally:
        await runner.cleanup()


async def test_a_camera_snapshot_is_the_cameras_jpeg(tmp_path: Path, camera_server: str) -> None:
    async with aiohttp.ClientSession() as session:

        async def fetch(device_id: str) -> bytes:
            async with session.get(camera_server) as response:
                return await response.read()

        async with api_rig(tmp_path, snapshot=fetch) as api:
            response = await api.client.get("/api/devices/camera/snapshot", headers=api.auth())
            assert response.content_type == "image/jpeg"
            assert response.headers["Cache-Control"] == "no-store"
            body = await response.read()
            assert Image.open(io.BytesIO(body)).size == (64, 48)
            no_camera = await api.client.get("/api/devices/lamp/snapshot", headers=api.auth())
            assert no_camera.status == 404


async def test_a_snapshot_from_a_silent_camera_is_a_504(tmp_path: Path) -> None:
    async def silent(device_id: str) -> bytes:
        raise DeviceTimeout("the camera did not send its picture in time")

    async with api_rig(tmp_path, snapshot=silent) as api:
        response = await api.client.get("/api/devices/camera/snapshot", headers=api.auth())
        assert response.status == 504
