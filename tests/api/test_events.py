"""Live events over the WebSocket: auth, subsets, stats, and slow clients that never stall
the hub."""

from __future__ import annotations

from typing import Any

import aiohttp

from hub.bus import DeviceOffline, DeviceOnline, Notification, StateChanged
from tests.api.rig import Api
from tests.waiting import until_async


async def _until(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = await ws.receive_json(timeout=5)
        if message["type"] == kind:
            return message


async def test_a_browser_authenticates_with_its_first_message_and_gets_state(api: Api) -> None:
    async with api.client.ws_connect("/api/events") as ws:
        await ws.send_json({"token": api.admin})
        assert await ws.receive_json(timeout=2) == {"type": "hello", "name": "test admin"}
        api.registry.update("lamp", {"brightness": 61})
        event = await ws.receive_json(timeout=2)
    assert event == {"type": "state", "device": "lamp", "feature": "brightness", "value": 61,
                     "old": 50, "at": event["at"]}  # fmt: skip


async def test_a_bad_or_missing_token_closes_the_socket(api: Api) -> None:
    for first in ({"token": "nope.nope"}, {"subscribe": ["state"]}):
        async with api.client.ws_connect("/api/events") as ws:
            await ws.send_json(first)
            message = await ws.receive(timeout=2)
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == 4401


async def test_a_plain_get_is_told_to_upgrade(api: Api) -> None:
    response = await api.client.get("/api/events", headers=api.auth())
    assert response.status == 426
    assert (await response.json())["error"]["code"] == "upgrade_required"
    assert (await api.client.get("/api/events")).status == 401


async def test_availability_automation_and_notification_events(api: Api) -> None:
    async with api.client.ws_connect("/api/events", headers=api.auth()) as ws:
        await _until(ws, "hello")
        bus = api.ctx.bus
        bus.publish(DeviceOffline("lamp", "no answer", 1.0))
        bus.publish(DeviceOnline("lamp", 2.0))
        bus.publish(Notification("Door", "The door opened", {"door": "front"}))
        first = await _until(ws, "availability")
        second = await _until(ws, "availability")
        note = await _until(ws, "notification")
    assert (first["availability"], first["reason"]) == ("offline", "no answer")
    assert second["availability"] == "online"
    assert note == {"type": "notification", "title": "Door", "message": "The door opened",
                    "data": {"door": "front"}}  # fmt: skip


async def test_a_client_can_subscribe_to_a_subset(api: Api) -> None:
    async with api.client.ws_connect("/api/events") as ws:
        await ws.send_json({"token": api.admin, "subscribe": ["state"], "devices": ["thermo"]})
        await _until(ws, "hello")
        api.ctx.bus.publish(DeviceOffline("thermo"))
        api.registry.update("lamp", {"brightness": 3})
        api.registry.update("thermo", {"temperature": 30.5})
        event = await ws.receive_json(timeout=2)
        assert (event["device"], event["value"]) == ("thermo", 30.5)
        await ws.send_json({"subscribe": ["toaster"]})
        error = await _until(ws, "error")
        assert "toaster" in error["message"]
        await ws.send_json({"devices": None})
        await ws.send_json({"stats": True})
        await _until(ws, "stats")
        api.registry.update("lamp", {"brightness": 4})
        event = await ws.receive_json(timeout=2)
        assert (event["device"], event["value"]) == ("lamp", 4)


async def test_a_slow_client_loses_events_with_a_count_and_the_hub_goes_on(api: Api) -> None:
    async with api.client.ws_connect("/api/events", headers=api.auth()) as ws:
        await _until(ws, "hello")
        for i in range(3000):  # published faster than any socket drains, all in one go
            api.ctx.bus.publish(StateChanged("lamp", "brightness", i % 100))
        received, stats = 0, None
        while received < api.ctx.ws_queue:
            message = await ws.receive_json(timeout=5)
            if message["type"] == "stats":
                stats = message
                assert received == 1  # told with the first event it could read again
            else:
                received += 1
        assert stats is not None
        assert stats["dropped"] == 3000 - api.ctx.ws_queue
        counters = await (await api.client.get("/api/system/stats", headers=api.auth())).json()
    assert counters["websocket_dropped"] == stats["dropped"]
    assert counters["websocket_clients"] == 1


async def test_every_client_gets_every_event_and_each_is_encoded_once(api: Api) -> None:
    sockets = [await api.client.ws_connect("/api/events", headers=api.auth()) for _ in range(5)]
    try:
        for ws in sockets:
            await _until(ws, "hello")
        for i in range(200):
            api.ctx.bus.publish(StateChanged("lamp", "brightness", i))
        for ws in sockets:
            values = [(await ws.receive_json(timeout=5))["value"] for _ in range(200)]
            assert values == list(range(200))
    finally:
        for ws in sockets:
            await ws.close()

    async def clients() -> object:
        stats = await (await api.client.get("/api/system/stats", headers=api.auth())).json()
        return stats["websocket_clients"]

    await until_async(clients, 0)
    stats = await (await api.client.get("/api/system/stats", headers=api.auth())).json()
    assert stats["websocket_sent"] >= 1000
