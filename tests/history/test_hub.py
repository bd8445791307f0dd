"""The hub records history from its start to its stop, and serves it over the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.app import Hub
from hub.config import Config, parse_config
from hub.devices.model import Device, Feature, FeatureKind, Protocol
from hub.errors import ConfigError, StoreError


def config(
    data_dir: Path, enabled: bool = True, url: str | None = None, hub_id: str = "home"
) -> Config:
    return Config.model_validate({
        "hub": {"id": hub_id, "data_dir": str(data_dir)},
        "api": {"port": 0},
        "miio": {"bind": "127.0.0.1"},
        "history": {"enabled": enabled, "url": url},
    })  # fmt: skip


async def served(hub: Hub, device: str, feature: str) -> list[tuple[Any, str]]:
    token = await hub.auth.issue("phone", ["read"])
    url = f"{hub.api_url}api/devices/{device}/history?feature={feature}"
    async with (
        aiohttp.ClientSession() as http,
        http.get(url, headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        body = await response.json()
    return [(item["value"], item["origin"]) for item in body["items"]]


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


def air(hub: Hub) -> None:
    sensor = Feature("pm25", FeatureKind.SENSOR, unit="µg/m³")
    hub.registry.add(Device("air", "Air", "test.air", Protocol.MQTT, features={"pm25": sensor}))


async def test_hubs_sharing_one_postgresql_each_keep_and_serve_their_own_history(
    tmp_path: Path, postgres_database: str
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    async with Hub(config(one, url=postgres_database, hub_id="one")) as hub_one:
        air(hub_one)
        async with Hub(config(two, url=postgres_database, hub_id="two")) as hub_two:
            air(hub_two)  # the same device id on two hubs: two devices, two histories
            hub_one.registry.update("air", {"pm25": 12})
            hub_two.registry.update("air", {"pm25": 500})
    assert not (one / "history.db").exists()
    async with Hub(config(one, url=postgres_database, hub_id="one")) as hub_one:
        assert await served(hub_one, "air", "pm25") == [(12, "device")]
        assert hub_one.history is not None
        tags = await hub_one.history.db.fetch(
            "SELECT hub, count(*) FROM events JOIN entities ON entities.id = entity "
            "GROUP BY hub ORDER BY hub",
            (),
        )
        assert [tuple(row) for row in tags] == [("one", 1), ("two", 1)]
    async with Hub(config(two, url=postgres_database, hub_id="two")) as hub_two:
        assert await served(hub_two, "air", "pm25") == [(500, "device")]


async def test_an_unreachable_postgresql_is_named_without_its_password(tmp_path: Path) -> None:
    url = "postgresql://mihub:hunter2@127.0.0.1:9/history"  # nothing listens on port 9
    with pytest.raises(StoreError) as failure:
        async with Hub(config(tmp_path, url=url)):
            pass
    assert "postgresql://mihub@127.0.0.1:9/history" in str(failure.value)
    assert "hunter2" not in str(failure.value)


def test_a_history_url_that_is_not_postgresql_is_refused_at_its_line() -> None:
    with pytest.raises(ConfigError, match=r"c.yaml:3: history.url: .*postgres"):
        parse_config("hub: {}\nhistory:\n  url: mysql://db/history\n", Path("c.yaml"))
