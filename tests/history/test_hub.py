"""The hub records history from its start to its stop, and serves it over the API."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from hub.app import Hub
from hub.config import Config
from hub.devices.model import Device, Feature, FeatureKind, Protocol


def config(data_dir: Path, enabled: bool = True) -> Config:
    return Config.model_validate({
        "hub": {"data_dir": str(data_dir)},
        "api": {"port": 0},
        "miio": {"bind": "127.0.0.1"},
        "history": {"enabled": enabled},
    })  # fmt: skip


async def test_changes_made_before_a_stop_are_served_after_a_restart(tmp_path: Path) -> None:
    sensor = Feature("pm25", FeatureKind.SENSOR, unit="µg/m³")
    async with Hub(config(tmp_path)) as hub:
        hub.registry.add(Device("air", "Air", "test.air", Protocol.MQTT, features={"pm25": sensor}))
        hub.registry.update("air", {"pm25": 12})
        hub.registry.update("air", {"pm25": 80})
    assert (tmp_path / "history.db").exists()
    async with Hub(config(tmp_path)) as hub:
        token = await hub.auth.issue("phone", ["read"])
        url = f"{hub.api_url}api/devices/air/history?feature=pm25"
        async with (
            aiohttp.ClientSession() as http,
            http.get(url, headers={"Authorization": f"Bearer {token}"}) as response,
        ):
            body = await response.json()
    assert [(item["value"], item["origin"]) for item in body["items"]] == [
        (12, "device"),
        (80, "device"),
    ]


async def test_with_history_off_nothing_is_recorded_and_the_api_says_so(tmp_path: Path) -> None:
    async with Hub(config(tmp_path, enabled=False)) as hub:
        sensor = Feature("pm25", FeatureKind.SENSOR)
        hub.registry.add(Device("air", "Air", "test.air", Protocol.MQTT, features={"pm25": sensor}))
        token = await hub.auth.issue("phone", ["read"])
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"{hub.api_url}api/devices/air/history",
                headers={"Authorization": f"Bearer {token}"},
            ) as response,  # fmt: skip
        ):
            assert response.status == 503
    assert not (tmp_path / "history.db").exists()
