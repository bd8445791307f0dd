"""Live events over the WebSocket: auth, filters, and a slow client that never stalls the hub."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from hub.bus import StateChanged
from tests.api.rig import Api, api_rig


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with api_rig(tmp_path) as rig:
        yield rig


async def test_a_browser_authenticates_with_its_first_message_and_gets_state(api: Api) -> None:
    async with api.client.ws_connect("/api/events") as ws:
        await ws.send_json({"token": api.admin})
        assert (await ws.receive_json(timeout=2))["type"] == "hello"
        api.registry.update("lamp", {"brightness": 61})
        event = await ws.receive_json(timeout=2)
    assert event == {"type": "state", "device": "lamp", "feature": "brightness", "value": 61,
                     "at": event["at"]}  # fmt: skip


async def test_a_bad_token_closes_the_socket(api: Api) -> None:
    async with api.client.ws_connect("/api/events") as ws:
        await ws.send_json({"token": "nope.nope"})
        message = await ws.receive(timeout=2)
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ws.close_code == 4001


async def test_a_client_can_subscribe_to_a_subset(api: Api) -> None:
    async with api.client.ws_connect("/api/events", headers=api.auth()) as ws:
        assert (await ws.receive_json(timeout=2))["type"] == "hello"
        await ws.send_json({"subscribe": ["state"], "devices": ["thermo"]})
        await asyncio.sleep(0.05)
        api.registry.update("lamp", {"brightness": 3})
        api.registry.update("thermo", {"temperature": 30.5})
        event = await ws.receive_json(timeout=2)
    assert (event["device"], event["value"]) == ("thermo", 30.5)


async def test_a_slow_client_loses_events_with_a_count_and_the_hub_goes_on(api: Api) -> None:
    async with api.client.ws_connect("/api/events", headers=api.auth()) as ws:
        assert (await ws.receive_json(timeout=2))["type"] == "hello"
        for i in range(3000):  # published faster than any socket drains, all in one go
            api.ctx.bus.publish(StateChanged("lamp", "brightness", i % 100))
        await ws.send_json({"stats": True})
        dropped = None
        while dropped is None:
            message = await ws.receive_json(timeout=5)
            if message["type"] == "stats":
                dropped = message["dropped"]
    assert dropped > 0
